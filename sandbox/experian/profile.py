"""A consumer's credit file as the emulator models it, and how it moves from one pull to the next.

A file is a pure function of its seed (from SSN + date of birth + surname), the date of each pull and the
events forced on any of them, so the emulator stores only that pull log and replays it on every pull. The
first pull opens the file as of its date; every later pull is "the next month": each open account
reports one more month (balances drift, loans amortise and may be paid off, now and then a payment is 30
days late), and sometimes a hard inquiry or a new account appears. The score moves with those changes
plus a little noise, with an occasional larger jump.
"""

from __future__ import annotations

import calendar
import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sandbox.experian.codes import (
    HISTORY_30_DAYS,
    HISTORY_60_DAYS,
    HISTORY_CURRENT,
    HISTORY_ZERO_BALANCE,
    LATE_MARKS,
    PRODUCTS,
    Product,
)

MIN_SCORE, MAX_SCORE = 300, 850
FIRST_SCORE_RANGE = (550, 820)
HISTORY_MONTHS = 84
INQUIRY_RETENTION = timedelta(days=730)  # hard inquiries stay on file for two years
CLOSED_RETENTION_MONTHS = 120  # accounts closed in good standing drop off ten years after closing
MAX_INITIAL_INQUIRIES = 4
NEW_ACCOUNT_KINDS = ("card", "card", "card", "retail", "auto", "personal")
APPLICATION_KINDS = (*NEW_ACCOUNT_KINDS, "mortgage")  # what turned-down or abandoned applications were for
BANKRUPTCY_COURTS = (
    "US BKPT CT TX DALLAS",
    "US BKPT CT CA LOS ANGELES",
    "US BKPT CT FL ORLANDO",
    "US BKPT CT IL CHICAGO",
    "US BKPT CT GA ATLANTA",
    "US BKPT CT AZ PHOENIX",
)


def seed_for(ssn: str, dob: date, surname: str) -> str:
    return hashlib.sha256(f"{ssn}|{dob.isoformat()}|{surname.strip().upper()}".encode()).hexdigest()


def rng(seed: str, *parts: object) -> random.Random:
    """An independent random stream per purpose, so adding one draw elsewhere never shifts this one."""
    return random.Random(hashlib.sha256("|".join([seed, *map(str, parts)]).encode()).digest())


def add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_between(start: date, end: date) -> int:
    return max(0, (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day))


def amortised_payment(principal: int, annual_rate: float, months: int) -> int:
    rate = annual_rate / 12
    return math.ceil(principal * rate / (1 - (1 + rate) ** -months))


def remaining_balance(principal: int, annual_rate: float, months: int, paid_months: int) -> int:
    rate = annual_rate / 12
    payment = amortised_payment(principal, annual_rate, months)
    left = principal * (1 + rate) ** paid_months - payment * ((1 + rate) ** paid_months - 1) / rate
    return max(0, round(left))


def minimum_payment(balance: int) -> int:
    return min(balance, max(25, round(balance * 0.02))) if balance > 0 else 0


def _round_to(value: float, step: int) -> int:
    return max(step, round(value / step) * step)


@dataclass(frozen=True)
class Events:
    """What happens on one pull besides the monthly drift; forced through the control endpoint."""

    new_inquiry: bool = False
    new_account: bool = False
    score_delta: int | None = None  # when set, the score moves by exactly this much


@dataclass
class Tradeline:
    key: str  # stable across pulls: t1, t2, ...
    kind: str  # a key of codes.PRODUCTS
    lender: str
    number: str  # masked the way reports show it
    opened: date
    statement_day: int  # the day of the month the lender reports
    amount: int = 0  # credit limit (revolving) or original loan amount (installment)
    balance: int = 0
    high_balance: int = 0
    payment: int = 0  # scheduled monthly payment
    term: int = 0  # months; 0 for revolving credit
    target_utilisation: float = 0.0  # revolving: where the balance drifts towards
    history: str = ""  # one character a month, most recent first
    closed: date | None = None
    past_due: int = 0

    @property
    def product(self) -> Product:
        return PRODUCTS[self.kind]

    @property
    def revolving(self) -> bool:
        return self.product.revolving

    @property
    def is_open(self) -> bool:
        return self.closed is None

    @property
    def lates(self) -> int:
        return sum(self.history.count(mark) for mark in LATE_MARKS)


@dataclass
class Inquiry:
    day: date
    kind: str
    lender: str
    amount: int | None  # None when the amount applied for is unknown (cards)
    term: int | None = None


@dataclass
class PublicRecord:
    filed: date
    court: str
    reference: str


@dataclass
class CreditFile:
    seed: str
    quality: float  # 0 (poor) .. 1 (excellent); drives utilisation, lates and inquiry habits
    base_score: int  # the score drifts back towards it
    score: int
    first_pull: date
    as_of: date
    tradelines: list[Tradeline]
    inquiries: list[Inquiry]
    public_records: list[PublicRecord] = field(default_factory=list)
    pulls: int = 1

    @property
    def open_revolving(self) -> list[Tradeline]:
        return [t for t in self.tradelines if t.is_open and t.revolving]

    def utilisation(self) -> float | None:
        limit = sum(t.amount for t in self.open_revolving)
        return sum(t.balance for t in self.open_revolving) / limit if limit else None

    def recent_inquiries(self, within: timedelta = INQUIRY_RETENTION) -> list[Inquiry]:
        return [i for i in self.inquiries if self.as_of - i.day < within]

    def months_since_last_late(self) -> int | None:
        found = []
        for tradeline in self.tradelines:
            positions = [tradeline.history.find(mark) for mark in LATE_MARKS if mark in tradeline.history]
            if positions:
                since_closed = months_between(tradeline.closed, self.as_of) if tradeline.closed else 0
                found.append(min(positions) + since_closed)
        return min(found) if found else None


def open_file(seed: str, dob: date, as_of: date) -> CreditFile:
    """The file as the first pull finds it."""
    r = rng(seed, "file")
    score = round(r.triangular(*FIRST_SCORE_RANGE, 720))
    quality = (score - FIRST_SCORE_RANGE[0]) / (FIRST_SCORE_RANGE[1] - FIRST_SCORE_RANGE[0])
    age = months_between(dob, as_of) / 12
    years_possible = max(1.0, min(35.0, age - 18))
    thin = years_possible < 3 or r.random() < 0.1
    if thin:
        file_years = r.uniform(1.0, min(3.0, years_possible))
        count = 3
    else:
        file_years = 3 + (years_possible - 3) * r.betavariate(1 + 2 * quality, 2)
        count = max(4, min(12, round(3 + file_years / 3 + r.randint(-1, 3))))
    kinds = _choose_kinds(r, count, age, file_years, thin)
    oldest = as_of - timedelta(days=round(file_years * 365.25))
    newest = as_of - timedelta(days=30)
    opened = sorted(
        [oldest] + [oldest + timedelta(days=r.randint(0, (newest - oldest).days)) for _ in kinds[1:]]
    )
    utilisation = min(0.92, max(0.01, 0.62 - 0.58 * quality + r.gauss(0, 0.07)))
    tradelines = [
        _open_tradeline(
            rng(seed, "tradeline", index), f"t{index + 1}", kind, day, as_of, quality, utilisation
        )
        for index, (kind, day) in enumerate(zip(kinds, opened, strict=True))
    ]
    _close_some_cards(r, tradelines, as_of)
    tradelines = [
        t for t in tradelines if not t.closed or months_between(t.closed, as_of) < CLOSED_RETENTION_MONTHS
    ]
    _add_late_payments(r, tradelines, quality)
    inquiries = _initial_inquiries(r, tradelines, as_of, quality)
    file = CreditFile(
        seed,
        quality,
        base_score=score,
        score=score,
        first_pull=as_of,
        as_of=as_of,
        tradelines=tradelines,
        inquiries=inquiries,
    )
    if quality < 0.2 and r.random() < 0.3:
        filed = as_of - timedelta(days=r.randint(3 * 365, 8 * 365))
        reference = f"{filed.year % 100:02d}{r.randint(10000, 99999)}"
        file.public_records.append(PublicRecord(filed, r.choice(BANKRUPTCY_COURTS), reference))
    return file


def _choose_kinds(r: random.Random, count: int, age: float, file_years: float, thin: bool) -> list[str]:
    """The kinds of credit on file, oldest first: a card, then the loans people of this age tend to have."""
    if thin:
        return ["student" if age < 30 else "card", "card", r.choice(["retail", "auto", "card"])]
    kinds = ["card"]
    if age < 45 and r.random() < 0.55:
        kinds += ["student"] * r.randint(1, 2)
    if r.random() < 0.6:
        kinds.append("auto")
    if file_years > 6 and r.random() < 0.5:
        kinds.append("mortgage")
    if r.random() < 0.3:
        kinds.append("personal")
    if r.random() < 0.4:
        kinds.append("retail")
    while len(kinds) < count:
        kinds.append("card" if r.random() < 0.75 else r.choice(["retail", "auto", "personal"]))
    return kinds[:count]


def _masked_number(r: random.Random, kind: str) -> str:
    digits = {"card": 16, "retail": 16, "mortgage": 10}.get(kind, 12)
    return "".join(str(r.randint(0, 9)) for _ in range(digits - 4)) + "XXXX"


def _open_tradeline(
    r: random.Random, key: str, kind: str, opened: date, as_of: date, quality: float, utilisation: float
) -> Tradeline:
    """A tradeline as it reports on `as_of`: its terms, balance and payment history so far."""
    product = PRODUCTS[kind]
    tradeline = Tradeline(
        key, kind, r.choice(product.lenders), _masked_number(r, kind), opened, r.randint(1, 28)
    )
    months_open = months_between(opened, as_of)
    if product.revolving:
        typical_limit = (1500 + 12000 * quality) / (4 if kind == "retail" else 1)
        tradeline.amount = min(45_000, _round_to(r.lognormvariate(math.log(typical_limit), 0.55), 100))
        idle = r.random() < 0.15 + 0.2 * quality
        tradeline.target_utilisation = 0.0 if idle else min(0.97, utilisation * r.uniform(0.4, 1.6))
        tradeline.balance = round(tradeline.amount * tradeline.target_utilisation)
        peak = min(1.0, tradeline.target_utilisation + r.uniform(0.05, 0.4))
        tradeline.high_balance = max(tradeline.balance, round(tradeline.amount * peak))
        tradeline.payment = minimum_payment(tradeline.balance)
    else:
        tradeline.amount = _round_to(r.uniform(*product.amount_range), 500 if kind == "mortgage" else 100)
        tradeline.high_balance = tradeline.amount
        tradeline.term = r.choice(product.terms_months)
        tradeline.payment = amortised_payment(tradeline.amount, product.annual_rate, tradeline.term)
        paid_months = min(months_open, tradeline.term)
        if months_open >= tradeline.term:
            tradeline.closed = add_months(opened, tradeline.term)
        elif kind != "mortgage" and months_open > 12 and r.random() < 0.1:
            paid_months = r.randint(12, months_open - 1)
            tradeline.closed = add_months(opened, paid_months)
        if not tradeline.closed:
            tradeline.balance = remaining_balance(
                tradeline.amount, product.annual_rate, tradeline.term, paid_months
            )
    reported_months = max(1, min(HISTORY_MONTHS, months_between(opened, tradeline.closed or as_of)))
    tradeline.history = "".join(_month_mark(r, tradeline, month) for month in range(reported_months))
    return tradeline


def _close_some_cards(r: random.Random, tradelines: list[Tradeline], as_of: date) -> None:
    """About one card in ten, opened over three years ago, has since been closed (never the first one)."""
    for tradeline in tradelines[1:]:
        months_open = months_between(tradeline.opened, as_of)
        if tradeline.revolving and months_open > 36 and r.random() < 0.1:
            tradeline.closed = add_months(tradeline.opened, r.randint(12, months_open - 2))
            tradeline.balance = tradeline.payment = 0
            tradeline.history = tradeline.history[months_between(tradeline.closed, as_of) :] or "0"


def _month_mark(r: random.Random, tradeline: Tradeline, months_ago: int) -> str:
    if not tradeline.revolving:
        return HISTORY_CURRENT
    if months_ago == 0:
        return HISTORY_ZERO_BALANCE if tradeline.balance == 0 else HISTORY_CURRENT
    idle = tradeline.target_utilisation == 0 and r.random() < 0.85
    return HISTORY_ZERO_BALANCE if idle or r.random() < 0.1 else HISTORY_CURRENT


def _add_late_payments(r: random.Random, tradelines: list[Tradeline], quality: float) -> None:
    """A few 30-day lates, more and more recent the weaker the file; the weakest may be late right now."""
    count = 0 if quality > 0.75 and r.random() < 0.9 else round(r.random() * (1 - quality) * 6)
    candidates = [t for t in tradelines if len(t.history) >= 3]
    for _ in range(count if candidates else 0):
        tradeline = r.choice(candidates)
        position = min(len(tradeline.history) - 2, int(r.expovariate(1 / (6 + 30 * quality))))
        if position == 0 and (quality >= 0.2 or not tradeline.is_open or tradeline.balance == 0):
            position = 1
        mark = HISTORY_60_DAYS if r.random() < 0.15 else HISTORY_30_DAYS
        history = list(tradeline.history)
        history[position] = mark
        if mark == HISTORY_60_DAYS:
            history[position + 1] = HISTORY_30_DAYS  # sixty days late was thirty days late the month before
        tradeline.history = "".join(history)
        if position == 0:
            tradeline.past_due = tradeline.payment * (2 if mark == HISTORY_60_DAYS else 1)


def _initial_inquiries(
    r: random.Random, tradelines: list[Tradeline], as_of: date, quality: float
) -> list[Inquiry]:
    """The hard pulls behind accounts opened in the last two years, plus applications that went nowhere."""
    found = [
        Inquiry(
            t.opened - timedelta(days=r.randint(0, 3)),
            t.kind,
            t.lender,
            None if t.revolving else t.amount,
            t.term or None,
        )
        for t in tradelines
        if as_of - t.opened < INQUIRY_RETENTION - timedelta(days=3)
    ]
    weights = [70, 25, 5, 0] if quality >= 0.7 else [45, 35, 15, 5] if quality >= 0.4 else [25, 35, 25, 15]
    for _ in range(r.choices(range(4), weights)[0]):
        found.append(_inquiry(r, r.choice(APPLICATION_KINDS), as_of - timedelta(days=r.randint(1, 729))))
    return sorted(found, key=lambda i: i.day, reverse=True)[:MAX_INITIAL_INQUIRIES]


def _inquiry(r: random.Random, kind: str, day: date, lender: str | None = None) -> Inquiry:
    product = PRODUCTS[kind]
    if product.revolving:
        return Inquiry(day, kind, lender or r.choice(product.lenders), None)
    return Inquiry(
        day,
        kind,
        lender or r.choice(product.lenders),
        _round_to(r.uniform(*product.amount_range), 500),
        r.choice(product.terms_months),
    )


def replay(seed: str, dob: date, pulls: list[tuple[date, Events | None]]) -> CreditFile:
    """The file as the last of these pulls sees it; `pulls` holds each pull's date and forced events."""
    (first_day, first_events), *later = pulls
    file = open_file(seed, dob, first_day)
    if first_events:
        _apply_events(file, first_events, first_day, rng(seed, "pull", 1), drift=0, month_passed=False)
    for day, events in later:
        advance(file, day, events)
    return file


def advance(file: CreditFile, as_of: date, forced: Events | None) -> None:
    """One more month: every open account reports again, then this pull's events happen."""
    file.pulls += 1
    r = rng(file.seed, "pull", file.pulls)
    before = file.utilisation() or 0.0
    new_late = False
    for tradeline in file.tradelines:
        if tradeline.is_open:
            new_late |= _report_month(
                rng(file.seed, "pull", file.pulls, tradeline.key), tradeline, as_of, file.quality
            )
    opens_account = r.random() < 0.05
    applies = r.random() < 0.08
    events = forced or Events(new_inquiry=opens_account or applies, new_account=opens_account)
    recovery = (file.base_score - file.score) * 0.12  # inquiries age, lates fade: scores drift back
    drift = round(r.gauss(0, 2.5) - ((file.utilisation() or 0.0) - before) * 60 + recovery)
    if r.random() < 0.05:
        drift += r.choice((-1, 1)) * r.randint(12, 30)
    if new_late:
        drift -= r.randint(35, 70)
    _apply_events(file, events, as_of, r, drift=drift, month_passed=True)


def _apply_events(
    file: CreditFile, events: Events, as_of: date, r: random.Random, *, drift: int, month_passed: bool
) -> None:
    """Adds the pull's new account and inquiry, then moves the score: by `drift` plus what the events cost,
    or by exactly the forced `score_delta`."""
    # Events are dated after the previous pull when there is room, so they read as news.
    elapsed = (as_of - file.as_of).days if month_passed else 30
    day = as_of - timedelta(days=min(max(elapsed, 0), r.randint(2, 20)))
    kind = r.choice(NEW_ACCOUNT_KINDS)
    lender = r.choice(PRODUCTS[kind].lenders)
    score_change = 0
    if events.new_account:
        account_rng, key = rng(file.seed, "new-account", file.pulls), f"t{len(file.tradelines) + 1}"
        tradeline = _open_tradeline(
            account_rng, key, kind, day, as_of, file.quality, file.utilisation() or 0.1
        )
        tradeline.lender = lender  # the same lender as the inquiry that goes with it
        file.tradelines.append(tradeline)
        score_change -= r.randint(5, 12)
    if events.new_inquiry:
        file.inquiries.insert(0, _inquiry(r, kind, day, lender))
        score_change -= r.randint(3, 7)
    file.score += drift + score_change if events.score_delta is None else events.score_delta
    file.score = max(MIN_SCORE, min(MAX_SCORE, file.score))
    file.as_of = as_of
    file.inquiries = [i for i in file.inquiries if as_of - i.day < INQUIRY_RETENTION]


def _report_month(r: random.Random, tradeline: Tradeline, as_of: date, quality: float) -> bool:
    """The account's next monthly report; True when this month's payment is 30 days late."""
    late = r.random() < 0.001 + 0.006 * (1 - quality)
    if tradeline.revolving:
        target = tradeline.target_utilisation * tradeline.amount
        drifted = (
            tradeline.balance + (target - tradeline.balance) * 0.35 + r.gauss(0, 0.06) * tradeline.amount
        )
        paid_off = r.random() < 0.08 and not late
        tradeline.balance = 0 if paid_off else max(0, min(round(tradeline.amount * 0.99), round(drifted)))
        if r.random() < 0.02:
            tradeline.amount = _round_to(tradeline.amount * 1.25, 100)  # a credit line increase
        tradeline.high_balance = max(tradeline.high_balance, tradeline.balance)
        tradeline.payment = minimum_payment(tradeline.balance)
    elif not late:
        interest = tradeline.balance * tradeline.product.annual_rate / 12
        tradeline.balance = max(0, round(tradeline.balance + interest - tradeline.payment))
        if tradeline.balance == 0:
            tradeline.closed = as_of
    tradeline.past_due = tradeline.payment if late else 0
    if late:
        mark = HISTORY_30_DAYS
    elif tradeline.revolving and tradeline.balance == 0:
        mark = HISTORY_ZERO_BALANCE
    else:
        mark = HISTORY_CURRENT
    tradeline.history = (mark + tradeline.history)[:HISTORY_MONTHS]
    return late


def score_factors(file: CreditFile) -> list[str]:
    """Four VantageScore 3.0 reason codes, most important first, from what actually is on the file; a fifth,
    84, when recent inquiries weighed on the score without making the top four (as FACTA requires)."""
    weights: dict[str, float] = {}

    def weigh(code: str, weight: float) -> None:
        weights[code] = max(weights.get(code, 0.0), weight)

    utilisation = file.utilisation()
    revolving = file.open_revolving
    if utilisation is not None and utilisation >= 0.1:
        weigh("32", 30 + utilisation * 100)
    if len(revolving) >= 2 and sum(t.balance > 0 for t in revolving) / len(revolving) >= 0.75:
        weigh("29", 35)
    largest_limit = max((t.amount for t in revolving), default=0)
    if largest_limit < 3000:
        weigh("36", 28)
    elif largest_limit < 8000:
        weigh("30", 12)
    last_late = file.months_since_last_late()
    if last_late is not None:
        if last_late <= 12:
            weigh("15", 75)
        weigh("09", 55 if last_late <= 24 else 25)
    if file.public_records:
        weigh("98", 90)
    inquiries_year = len(file.recent_inquiries(timedelta(days=365)))
    if inquiries_year >= 3:
        weigh("85", 40 + 6 * inquiries_year)
    oldest = min(t.opened for t in file.tradelines)
    file_years = months_between(oldest, file.as_of) / 12
    if file_years < 4:
        weigh("12", 55 - 8 * file_years)
        weigh("14", 45 if len(file.tradelines) <= 3 else 20)
    elif file_years < 8:
        weigh("12", 18)
    oldest_revolving = min((t.opened for t in file.tradelines if t.revolving), default=oldest)
    if months_between(oldest_revolving, file.as_of) < 36:
        weigh("40", 20)
    newest = max(t.opened for t in file.tradelines)
    if months_between(newest, file.as_of) < 6:
        weigh("13", 30)
    opened_this_year = sum(file.as_of - t.opened < timedelta(days=365) for t in file.tradelines)
    if opened_this_year >= 2:
        weigh("06", 30 + 8 * opened_this_year)
    open_lines = [t for t in file.tradelines if t.is_open]
    if len(open_lines) < 4:
        weigh("97", 34)
    installments = [t for t in open_lines if not t.revolving and t.kind != "mortgage"]
    if not any(not t.revolving for t in open_lines):
        weigh("81", 16)
    if not any(t.kind == "mortgage" for t in open_lines):
        weigh("64", 9)
    if installments and sum(t.balance for t in installments) / sum(t.amount for t in installments) > 0.75:
        weigh("78", 22)
    if sum(t.balance for t in open_lines if t.kind != "mortgage") > 60_000:
        weigh("16", 20)
    # A strong file still gets four reasons: the mildest ones that hold, then the usual last resorts.
    if largest_limit < 25_000:
        weigh("30", 3)
    if any(t.balance for t in revolving):
        weigh("29", 2)
    if months_between(newest, file.as_of) < 24:
        weigh("13", 1.5)
    if any(t.balance for t in open_lines if t.kind != "mortgage"):
        weigh("16", 1)
    for last_resort in ("30", "16", "13", "29"):
        weigh(last_resort, 0.1)
    factors = sorted(weights, key=lambda code: (-weights[code], code))[:4]
    if inquiries_year and "85" not in factors:
        factors.append("84")
    return factors
