"""Deterministic, realistic Plaid data: institutions, accounts, transactions, liabilities.

Everything an item shows is a pure function of its `seed` (by default its item_id), its institution,
its anchor date (the day it was linked) and its size settings, so it can be regenerated after a restart
instead of being stored. Ids come from the item_id, so two items with the same seed show the same
content under different ids. Transactions are kept as small tuples (`Txn`) and turned into Plaid's JSON
only when a page is served.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Institution:
    name: str
    short: str  # as it appears in transaction descriptions
    accounts: tuple[tuple[str, str, str], ...]  # (kind, name, official_name); kind: checking/savings/credit
    liabilities: bool = True


INSTITUTIONS: dict[str, Institution] = {
    "ins_109508": Institution(
        "First Platypus Bank",
        "Platypus",
        (
            ("checking", "Plaid Checking", "Plaid Gold Standard 0% Interest Checking"),
            ("savings", "Plaid Saving", "Plaid Silver Standard 0.1% Interest Saving"),
            ("credit", "Plaid Credit Card", "Plaid Diamond 12.5% APR Interest Credit Card"),
            ("credit", "Plaid Rewards Card", "Plaid Platinum Cash Rewards Visa"),
        ),
    ),
    "ins_109509": Institution(
        "First Gingham Credit Union",
        "Gingham CU",
        (
            ("checking", "Share Draft Checking", "Gingham Free Share Draft Checking"),
            ("savings", "Share Savings", "Gingham Primary Share Savings"),
            ("credit", "Gingham Visa", "Gingham Visa Signature Card"),
        ),
    ),
    "ins_109510": Institution(
        "Tattersall Federal Credit Union",
        "Tattersall FCU",
        (
            ("checking", "Everyday Checking", "Tattersall Everyday Checking"),
            ("savings", "Savings", "Tattersall Regular Savings"),
            ("credit", "Cash Back Mastercard", "Tattersall Cash Back World Mastercard"),
            ("credit", "Travel Rewards Visa", "Tattersall Travel Rewards Visa Signature"),
        ),
    ),
    "ins_109511": Institution(
        "Tartan Bank",
        "Tartan",
        (
            ("checking", "Tartan Checking", "Tartan Total Checking"),
            ("savings", "Tartan Savings", "Tartan High-Yield Savings"),
            ("credit", "Tartan Cash Rewards", "Tartan Cash Rewards Credit Card"),
        ),
    ),
    # Offers no liabilities product: /liabilities/get answers PRODUCTS_NOT_SUPPORTED.
    "ins_109512": Institution(
        "Houndstooth Bank",
        "Houndstooth",
        (
            ("checking", "Houndstooth Checking", "Houndstooth Basic Checking"),
            ("credit", "Houndstooth Card", "Houndstooth Secured Mastercard"),
        ),
        liabilities=False,
    ),
}

BASE_PRODUCTS = ("assets", "auth", "balance", "identity", "transactions")


def supported_products(institution_id: str) -> set[str]:
    products = set(BASE_PRODUCTS) | {"transactions_refresh", "recurring_transactions"}
    if INSTITUTIONS[institution_id].liabilities:
        products.add("liabilities")
    return products


PFC_PRIMARIES = (
    "INCOME", "LOAN_DISBURSEMENTS", "LOAN_PAYMENTS", "TRANSFER_IN", "TRANSFER_OUT", "BANK_FEES",
    "ENTERTAINMENT", "FOOD_AND_DRINK", "GENERAL_MERCHANDISE", "HOME_IMPROVEMENT", "MEDICAL", "PERSONAL_CARE",
    "GENERAL_SERVICES", "GOVERNMENT_AND_NON_PROFIT", "TRANSPORTATION", "TRAVEL", "RENT_AND_UTILITIES",
    "OTHER",
)  # fmt: skip
PFC_V2_RENAMES = {"INCOME_WAGES": "INCOME_SALARY", "venmo": "TRANSFER_OUT_TRANSFER_OUT_FROM_APPS"}


def pfc_primary(detailed: str) -> str:
    return max((p for p in PFC_PRIMARIES if detailed.startswith(p + "_")), key=len)


@dataclass(frozen=True)
class Merchant:
    key: str
    merchant_name: str | None
    detailed: str  # PFC v1 detailed code (v2: PFC_V2_RENAMES by merchant key or code)
    channel: str  # "online" | "in store" | "other"
    website: str | None
    name: str  # the transaction's `name`; {n} becomes a per-item store / reference number
    lo: float  # amount range for discretionary spending
    hi: float
    weight: float  # relative frequency of discretionary spending (0: scheduled only)

    @property
    def debit_only(self) -> bool:  # paid from checking, never with a card
        return self.key in ("venmo", "atm")


# key | merchant_name | PFC v1 detailed | payment channel | website | transaction name | lo | hi | weight
_MERCHANT_TABLE = """
starbucks|Starbucks|FOOD_AND_DRINK_COFFEE|in store|starbucks.com|Starbucks Store #{n}|3.8|11.5|9
blue_bottle|Blue Bottle Coffee|FOOD_AND_DRINK_COFFEE|in store|bluebottlecoffee.com|\
Blue Bottle Coffee {n}|4.5|14|3
uber|Uber|TRANSPORTATION_TAXIS_AND_RIDE_SHARES|online|uber.com|Uber {n} SF**POOL**|8|46|5
lyft|Lyft|TRANSPORTATION_TAXIS_AND_RIDE_SHARES|online|lyft.com|Lyft *Ride Thu {n}|7|38|2
uber_eats|Uber Eats|FOOD_AND_DRINK_RESTAURANT|online|ubereats.com|Uber Eats {n} Help.Uber.com|16|62|3
doordash|DoorDash|FOOD_AND_DRINK_RESTAURANT|online|doordash.com|DoorDash*Order {n}|18|70|3
whole_foods|Whole Foods Market|FOOD_AND_DRINK_GROCERIES|in store|wholefoodsmarket.com|\
Whole Foods Market #{n}|18|190|6
trader_joes|Trader Joe's|FOOD_AND_DRINK_GROCERIES|in store|traderjoes.com|Trader Joe's #{n}|14|130|5
safeway|Safeway|FOOD_AND_DRINK_GROCERIES|in store|safeway.com|Safeway Store {n}|9|140|4
shell|Shell|TRANSPORTATION_GAS|in store|shell.com|Shell Oil {n}|28|78|4
chevron|Chevron|TRANSPORTATION_GAS|in store|chevron.com|Chevron {n}|25|74|3
amazon|Amazon|GENERAL_MERCHANDISE_ONLINE_MARKETPLACES|online|amazon.com|\
Amazon.com*{n} Amzn.com/bill WA|6|240|7
target|Target|GENERAL_MERCHANDISE_SUPERSTORES|in store|target.com|Target T-{n}|9|160|4
walmart|Walmart|GENERAL_MERCHANDISE_SUPERSTORES|in store|walmart.com|Walmart Supercenter {n}|8|150|2
costco|Costco|GENERAL_MERCHANDISE_SUPERSTORES|in store|costco.com|Costco Whse #{n}|45|320|1.5
cvs|CVS Pharmacy|MEDICAL_PHARMACIES_AND_SUPPLEMENTS|in store|cvs.com|CVS/Pharmacy #{n}|5|65|2.5
walgreens|Walgreens|MEDICAL_PHARMACIES_AND_SUPPLEMENTS|in store|walgreens.com|Walgreens #{n}|4|55|1.5
mcdonalds|McDonald's|FOOD_AND_DRINK_FAST_FOOD|in store|mcdonalds.com|McDonald's F{n}|5|19|3
chipotle|Chipotle Mexican Grill|FOOD_AND_DRINK_FAST_FOOD|in store|chipotle.com|Chipotle {n}|10|28|3
sweetgreen|Sweetgreen|FOOD_AND_DRINK_RESTAURANT|in store|sweetgreen.com|Sweetgreen {n}|12|24|2
cheesecake|The Cheesecake Factory|FOOD_AND_DRINK_RESTAURANT|in store|thecheesecakefactory.com|\
The Cheesecake Factory #{n}|38|140|1
home_depot|The Home Depot|HOME_IMPROVEMENT_HARDWARE|in store|homedepot.com|The Home Depot #{n}|12|320|1.2
ikea|IKEA|HOME_IMPROVEMENT_FURNITURE|in store|ikea.com|IKEA {n}|30|450|0.3
delta|Delta Air Lines|TRAVEL_FLIGHTS|online|delta.com|Delta Air Lines {n}|160|680|0.25
airbnb|Airbnb|TRAVEL_LODGING|online|airbnb.com|Airbnb * HM{n}|140|900|0.2
marriott|Marriott|TRAVEL_LODGING|in store|marriott.com|Marriott Hotel {n}|150|620|0.2
amc|AMC Theatres|ENTERTAINMENT_TV_AND_MOVIES|in store|amctheatres.com|AMC {n} Online|12|48|0.8
steam|Steam|ENTERTAINMENT_VIDEO_GAMES|online|steampowered.com|Steam Purchase {n}|5|60|0.6
best_buy|Best Buy|GENERAL_MERCHANDISE_ELECTRONICS|in store|bestbuy.com|Best Buy {n}|25|520|0.5
nike|Nike|GENERAL_MERCHANDISE_CLOTHING_AND_ACCESSORIES|online|nike.com|Nike.com {n}|40|190|0.7
uniqlo|Uniqlo|GENERAL_MERCHANDISE_CLOTHING_AND_ACCESSORIES|in store|uniqlo.com|Uniqlo USA {n}|20|130|0.7
petco|Petco|GENERAL_MERCHANDISE_PET_SUPPLIES|in store|petco.com|Petco {n}|12|95|0.8
great_clips|Great Clips|PERSONAL_CARE_HAIR_AND_BEAUTY|in store|greatclips.com|Great Clips #{n}|19|42|0.5
transit|Clipper|TRANSPORTATION_PUBLIC_TRANSIT|online|clippercard.com|Clipper Card {n}|2.5|50|1.5
parkmobile|ParkMobile|TRANSPORTATION_PARKING|online|parkmobile.io|ParkMobile {n}|2|24|1
usps|USPS|GENERAL_SERVICES_POSTAGE_AND_SHIPPING|in store|usps.com|USPS PO {n}|4|32|0.4
venmo|Venmo|TRANSFER_OUT_ACCOUNT_TRANSFER|other|venmo.com|Venmo Payment {n}|10|180|1.2
atm||TRANSFER_OUT_WITHDRAWAL|in store||ATM Withdrawal {n}|40|200|0.6
gusto|Gusto|INCOME_WAGES|other|gusto.com|Gusto Pay {n} PPD|0|0|0
rent|AvalonBay Communities|RENT_AND_UTILITIES_RENT|other|avaloncommunities.com|\
AvalonBay Rent Web Pmt {n}|0|0|0
pge|PG&E|RENT_AND_UTILITIES_GAS_AND_ELECTRICITY|online|pge.com|PGANDE Web Online {n}|0|0|0
coned|Con Edison|RENT_AND_UTILITIES_GAS_AND_ELECTRICITY|online|coned.com|Con Ed of NY Intell Check {n}|0|0|0
comed|ComEd|RENT_AND_UTILITIES_GAS_AND_ELECTRICITY|online|comed.com|ComEd Utility Pymt {n}|0|0|0
austin_energy|Austin Energy|RENT_AND_UTILITIES_GAS_AND_ELECTRICITY|online|austinenergy.com|\
City of Austin Utilities {n}|0|0|0
xfinity|Xfinity|RENT_AND_UTILITIES_INTERNET_AND_CABLE|online|xfinity.com|Comcast Xfinity {n}|0|0|0
verizon|Verizon|RENT_AND_UTILITIES_TELEPHONE|online|verizon.com|Verizon Wireless {n}|0|0|0
geico|GEICO|GENERAL_SERVICES_INSURANCE|online|geico.com|GEICO Auto {n}|0|0|0
netflix|Netflix|ENTERTAINMENT_TV_AND_MOVIES|online|netflix.com|Netflix.com|0|0|0
spotify|Spotify|ENTERTAINMENT_MUSIC_AND_AUDIO|online|spotify.com|Spotify USA|0|0|0
planet_fitness|Planet Fitness|PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS|other|planetfitness.com|\
Planet Fitness Club Fees {n}|0|0|0
icloud|Apple|GENERAL_SERVICES_OTHER_GENERAL_SERVICES|online|apple.com|Apple.com/bill|0|0|0
to_savings||TRANSFER_OUT_SAVINGS|other||Online Transfer to SAV ...{mask}|0|0|0
from_checking||TRANSFER_IN_SAVINGS|other||Online Transfer from CHK ...{mask}|0|0|0
interest||INCOME_INTEREST_EARNED|other||Interest Payment|0|0|0
card_payment||LOAN_PAYMENTS_CREDIT_CARD_PAYMENT|other||{bank} Card Autopay ...{mask}|0|0|0
card_payment_in||LOAN_PAYMENTS_CREDIT_CARD_PAYMENT|other||Autopay Payment - Thank You|0|0|0
interest_charge||BANK_FEES_INTEREST_CHARGE|other||Interest Charge on Purchases|0|0|0
"""


def _merchant(row: str) -> Merchant:
    key, name, detailed, channel, website, description, lo, hi, weight = row.split("|")
    return Merchant(
        key,
        name or None,
        detailed,
        channel,
        website or None,
        description,
        float(lo),
        float(hi),
        float(weight),
    )


MERCHANTS = {m.key: m for m in map(_merchant, _MERCHANT_TABLE.strip().splitlines())}
DISCRETIONARY = [key for key, m in MERCHANTS.items() if m.weight]
DISCRETIONARY_WEIGHTS = [MERCHANTS[key].weight for key in DISCRETIONARY]


@dataclass(frozen=True)
class City:
    city: str
    region: str
    postal_code: str
    lat: float
    lon: float
    streets: tuple[str, ...]
    electric: str


CITIES = (
    City(
        "San Francisco", "CA", "94103", 37.7749, -122.4194, ("Market St", "Mission St", "Valencia St"), "pge"
    ),
    City("New York", "NY", "10001", 40.7506, -73.9972, ("Broadway", "7th Ave", "W 34th St"), "coned"),
    City("Chicago", "IL", "60607", 41.8781, -87.6298, ("W Madison St", "N Clark St", "S State St"), "comed"),
    City(
        "Austin",
        "TX",
        "78701",
        30.2672,
        -97.7431,
        ("Congress Ave", "S Lamar Blvd", "E 6th St"),
        "austin_energy",
    ),
)
EMPLOYERS = ("Acme Corp", "Globex LLC", "Initech Inc", "Umbrella Health", "Stark Logistics", "Wayne Foods")
SUBSCRIPTIONS = {"netflix": 15.49, "spotify": 11.99, "planet_fitness": 24.99, "icloud": 2.99}
NULL_LOCATION = {
    key: None for key in ("address", "city", "region", "postal_code", "country", "lat", "lon", "store_number")
}
NULL_PAYMENT_META = {
    key: None
    for key in (
        "reference_number",
        "ppd_id",
        "payee",
        "by_order_of",
        "payer",
        "payment_method",
        "payment_processor",
        "reason",
    )
}


class Txn(NamedTuple):
    transaction_id: str
    account: int  # index into the item's accounts
    amount: float  # Plaid's sign: positive = money out of the account
    date: str
    authorized_date: str | None
    merchant: str  # key into MERCHANTS
    name: str
    pending: bool
    pending_transaction_id: str | None


def make_id(*parts: object) -> str:
    """A Plaid-looking 37-character id derived from its parts."""
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=28).digest()
    return base64.b64encode(digest, altchars=b"xQ").decode()[:37]


@dataclass
class Profile:
    """The stable facts about one item: accounts with balances, where the person lives, their store names."""

    institution_id: str
    accounts: list[dict[str, Any]]
    kinds: list[str]
    city: City
    names: dict[str, str]
    locations: dict[str, dict[str, Any]]
    employer: str
    daily_rate: float
    card_share: float


def build_profile(item_id: str, seed: str, institution_id: str) -> Profile:
    rng = random.Random(f"{seed}:profile")
    institution = INSTITUTIONS[institution_id]
    city = rng.choice(CITIES)
    accounts, kinds = [], []
    for index, (kind, name, official) in enumerate(institution.accounts):
        if kind == "checking":
            current = round(rng.uniform(600, 9500), 2)
            balances = {
                "available": round(current - rng.uniform(0, 120), 2),
                "current": current,
                "limit": None,
            }
            type_, subtype = "depository", "checking"
        elif kind == "savings":
            current = round(rng.uniform(1500, 42000), 2)
            balances = {"available": current, "current": current, "limit": None}
            type_, subtype = "depository", "savings"
        else:
            limit = float(rng.choice((1500, 2500, 3500, 5000, 7500, 10000, 15000, 25000)))
            current = round(
                limit * rng.choice((0.04, 0.12, 0.22, 0.28, 0.36, 0.47, 0.63)) * rng.uniform(0.9, 1.1), 2
            )
            balances = {"available": round(limit - current, 2), "current": current, "limit": limit}
            type_, subtype = "credit", "credit card"
        accounts.append(
            {
                "account_id": make_id(item_id, "account", index),
                "balances": {**balances, "iso_currency_code": "USD", "unofficial_currency_code": None},
                "mask": f"{rng.randrange(10000):04d}",
                "name": name,
                "official_name": official,
                "type": type_,
                "subtype": subtype,
                "holder_category": "personal",
            }
        )
        kinds.append(kind)
    names, locations = {}, {}
    for key, merchant in MERCHANTS.items():
        number = f"{rng.randrange(100, 9999):04d}"
        names[key] = merchant.name.format(n=number, mask="{mask}", bank="{bank}")
        if merchant.channel == "in store" and merchant.merchant_name:
            locations[key] = {
                "address": f"{rng.randrange(10, 2900)} {rng.choice(city.streets)}",
                "city": city.city,
                "region": city.region,
                "postal_code": city.postal_code,
                "country": "US",
                "lat": round(city.lat + rng.uniform(-0.04, 0.04), 4),
                "lon": round(city.lon + rng.uniform(-0.04, 0.04), 4),
                "store_number": number,
            }
    return Profile(
        institution_id,
        accounts,
        kinds,
        city,
        names,
        locations,
        rng.choice(EMPLOYERS),
        daily_rate=rng.uniform(1.6, 3.2),
        card_share=rng.uniform(0.55, 0.85),
    )


# --- transactions ------------------------------------------------------------------------------------------

Row = tuple[int, int, str, float, str]  # (day index, account index, merchant key, amount, name)


def _scheduled(profile: Profile, rng: random.Random, days: list[date]) -> list[Row]:
    """Payroll, rent, bills, subscriptions, savings transfers, interest and card payments."""
    kinds = profile.kinds
    checking = kinds.index("checking")
    savings = kinds.index("savings") if "savings" in kinds else None
    cards = [i for i, kind in enumerate(kinds) if kind == "credit"]
    bill_account = cards[0] if cards else checking
    bank = INSTITUTIONS[profile.institution_id].short
    mask = {i: account["mask"] for i, account in enumerate(profile.accounts)}
    parity = rng.randrange(2)
    pay = rng.uniform(1500, 3900)
    rent = round(rng.uniform(1250, 3300) / 5) * 5.0
    electric_base, internet = rng.uniform(45, 130), rng.choice((64.99, 79.99, 89.99))
    phone, insurance = rng.choice((55.0, 70.0, 85.0, 95.0)), round(rng.uniform(85, 170), 2)
    subscriptions = [key for key in SUBSCRIPTIONS if rng.random() < 0.7]
    to_savings = rng.choice((100.0, 200.0, 250.0, 500.0))
    card_days = {card: rng.randrange(3, 27) for card in cards}
    carries_balance = {card: rng.random() < 0.35 for card in cards}
    rows: list[Row] = []

    def add(day: int, account: int, key: str, amount: float, name: str | None = None) -> None:
        rows.append((day, account, key, round(amount, 2), name or profile.names[key]))

    for i, day in enumerate(days):
        if day.weekday() == 4 and (day.toordinal() // 7) % 2 == parity:
            add(
                i,
                checking,
                "gusto",
                -(pay + rng.choice((0, 0, 0, rng.uniform(-60, 140)))),
                f"{profile.names['gusto']} {profile.employer}",
            )
        if day.day == 1:
            add(i, checking, "rent", rent)
        if day.day == 12:
            seasonal = 1 + 0.35 * math.cos(2 * math.pi * (day.month - 1) / 12)
            add(i, checking, profile.city.electric, electric_base * seasonal * rng.uniform(0.9, 1.1))
        if day.day == 15:
            add(i, checking, "xfinity", internet)
            add(i, checking, "geico", insurance)
        if day.day == 20:
            add(i, bill_account, "verizon", phone)
        for offset, key in enumerate(subscriptions):
            if day.day == 5 + offset * 4:
                add(i, bill_account, key, SUBSCRIPTIONS[key])
        if savings is not None and day.day == 16:
            add(i, checking, "to_savings", to_savings, profile.names["to_savings"].format(mask=mask[savings]))
            add(
                i,
                savings,
                "from_checking",
                -to_savings,
                profile.names["from_checking"].format(mask=mask[checking]),
            )
        if savings is not None and day.day == 28:
            add(i, savings, "interest", -rng.uniform(0.4, 14))
        for card in cards:
            if day.day == card_days[card]:
                paid = rng.uniform(120, 2400)
                add(
                    i,
                    checking,
                    "card_payment",
                    paid,
                    profile.names["card_payment"].format(bank=bank, mask=mask[card]),
                )
                add(i, card, "card_payment_in", -paid)
                if carries_balance[card]:
                    add(i, card, "interest_charge", rng.uniform(8, 65))
    return rows


def _keep_one_swipe_pending(rows: list[Any], history_days: int) -> None:
    """A card always has a swipe or two still pending: when no discretionary purchase fell in the last
    two days (about one item in a hundred), the newest one moves to the last day. Sorted rows, in place."""
    recent = history_days - 2
    if any(day >= recent and MERCHANTS[key].weight for day, _, key, _, _ in rows):
        return
    for index in range(len(rows) - 1, -1, -1):
        _, account, key, amount, name = rows[index]
        if MERCHANTS[key].weight:
            del rows[index]
            rows.append((history_days - 1, account, key, amount, name))
            return


def generate(
    item_id: str,
    seed: str,
    profile: Profile,
    anchor: date,
    history_days: int,
    count: int | None,
    generation: int = 0,
) -> list[Txn]:
    """The item's transactions as of its anchor date, oldest first; `count` None means a natural volume."""
    rng = random.Random(f"{seed}:transactions")
    days = [anchor - timedelta(days=history_days - 1 - i) for i in range(history_days)]
    day_strings = [day.isoformat() for day in days]
    rows = _scheduled(profile, rng, days)
    wanted = int(history_days * profile.daily_rate) + len(rows) if count is None else count
    if len(rows) > wanted:
        rows = rng.sample(rows, wanted)
    extra = wanted - len(rows)
    checking = profile.kinds.index("checking")
    cards = [i for i, kind in enumerate(profile.kinds) if kind == "credit"] or [checking]
    random_ = rng.random
    for key in rng.choices(DISCRETIONARY, weights=DISCRETIONARY_WEIGHTS, k=extra):
        merchant = MERCHANTS[key]
        debit = merchant.debit_only or random_() > profile.card_share
        account = checking if debit else cards[int(random_() * len(cards))]
        amount = merchant.lo + (merchant.hi - merchant.lo) * random_() ** 2
        rows.append((int(random_() * history_days), account, key, round(amount, 2), profile.names[key]))
    rows.sort(key=lambda row: row[0])
    _keep_one_swipe_pending(rows, history_days)
    pending_left = 2 + rng.randrange(5)
    txns = []
    for serial, (day, account, key, amount, name) in enumerate(rows):
        pending = False
        if day >= history_days - 2 and pending_left and MERCHANTS[key].weight:
            pending, pending_left = True, pending_left - 1
        lag = 0 if pending or not MERCHANTS[key].weight else min(day, (0, 1, 1, 2)[serial % 4])
        txns.append(
            Txn(
                make_id(item_id, "txn", generation, serial),
                account,
                amount,
                day_strings[day],
                day_strings[day - lag],
                key,
                name,
                pending,
                None,
            )
        )
    return txns


def make_change(
    item_id: str,
    seed: str,
    profile: Profile,
    live: dict[str, Txn],
    version: int,
    today: date,
    generation: int = 0,
    new_count: int | None = None,
) -> dict[str, list[Any]]:
    """One update of an item's data: pending transactions post, new ones arrive, some change or vanish."""
    rng = random.Random(f"{seed}:v{generation}.{version}")
    recent_cutoff = (today - timedelta(days=14)).isoformat()
    pending = [t for t in live.values() if t.pending]
    recent = [
        t for t in live.values() if not t.pending and t.date >= recent_cutoff and MERCHANTS[t.merchant].weight
    ]
    added: list[Txn] = []
    removed: list[str] = []
    serial = 0

    def new_id() -> str:
        nonlocal serial
        serial += 1
        return make_id(item_id, "txn", generation, f"v{version}", serial)

    for txn in pending:
        posted_on = min(today, date.fromisoformat(txn.date) + timedelta(days=1)).isoformat()
        tip = (
            1 + rng.choice((0.15, 0.18, 0.2))
            if MERCHANTS[txn.merchant].detailed.endswith("RESTAURANT")
            else 1
        )
        added.append(
            txn._replace(
                transaction_id=new_id(),
                amount=round(txn.amount * tip, 2),
                date=posted_on,
                authorized_date=txn.date,
                pending=False,
                pending_transaction_id=txn.transaction_id,
            )
        )
        removed.append(txn.transaction_id)
    checking = profile.kinds.index("checking")
    cards = [i for i, kind in enumerate(profile.kinds) if kind == "credit"] or [checking]
    for i in range(rng.randrange(2, 6) if new_count is None else new_count):
        key = rng.choices(DISCRETIONARY, weights=DISCRETIONARY_WEIGHTS)[0]
        merchant = MERCHANTS[key]
        account = checking if merchant.debit_only or rng.random() > profile.card_share else rng.choice(cards)
        is_pending = new_count is None and i < 2
        day = today if is_pending or rng.random() < 0.5 else today - timedelta(days=1)
        added.append(
            Txn(
                new_id(),
                account,
                round(rng.uniform(merchant.lo, merchant.hi), 2),
                day.isoformat(),
                day.isoformat(),
                key,
                profile.names[key],
                is_pending,
                None,
            )
        )
    rng.shuffle(recent)
    modified = []
    for txn in recent[: rng.randrange(1, 3)]:
        if rng.random() < 0.5:
            modified.append(txn._replace(amount=round(txn.amount + rng.uniform(0.5, 6), 2)))
        else:
            modified.append(txn._replace(name=MERCHANTS[txn.merchant].merchant_name or txn.name.upper()))
    removed += [t.transaction_id for t in recent[len(modified) : len(modified) + 1]]
    return {"added": added, "modified": modified, "removed": removed}


def transaction_json(
    txn: Txn, profile: Profile, pfc_version: str = "v1", original_description: bool = False
) -> dict[str, Any]:
    merchant = MERCHANTS[txn.merchant]
    detailed = merchant.detailed
    if pfc_version == "v2":
        detailed = PFC_V2_RENAMES.get(txn.merchant) or PFC_V2_RENAMES.get(detailed, detailed)
    primary = pfc_primary(detailed)
    counterparties = []
    if merchant.merchant_name:
        counterparties.append(
            {
                "name": merchant.merchant_name,
                "type": "merchant",
                "website": merchant.website,
                "logo_url": None,
                "entity_id": make_id("merchant", txn.merchant)[:20],
                "confidence_level": "VERY_HIGH",
            }
        )
    return {
        "transaction_id": txn.transaction_id,
        "account_id": profile.accounts[txn.account]["account_id"],
        "amount": txn.amount,
        "iso_currency_code": "USD",
        "unofficial_currency_code": None,
        "date": txn.date,
        "authorized_date": txn.authorized_date,
        "authorized_datetime": None,
        "datetime": None,
        "pending": txn.pending,
        "pending_transaction_id": txn.pending_transaction_id,
        "name": txn.name,
        "merchant_name": merchant.merchant_name,
        "original_description": txn.name.upper() if original_description else None,
        "payment_channel": merchant.channel,
        "transaction_code": None,
        "transaction_type": "special"
        if merchant.channel == "other"
        else "place"
        if merchant.channel == "in store"
        else "digital",
        "account_owner": None,
        "check_number": None,
        "category": None,
        "category_id": None,
        "location": profile.locations.get(txn.merchant, NULL_LOCATION),
        "payment_meta": NULL_PAYMENT_META,
        "personal_finance_category": {
            "primary": primary,
            "detailed": detailed,
            "confidence_level": "VERY_HIGH" if merchant.merchant_name else "HIGH",
        },
        "personal_finance_category_icon_url": f"https://plaid-category-icons.plaid.com/PFC_{primary}.png",
        "logo_url": None,
        "website": merchant.website,
        "merchant_entity_id": counterparties[0]["entity_id"] if counterparties else None,
        "counterparties": counterparties,
    }


# --- liabilities -------------------------------------------------------------------------------------------


def _monthly_on_or_after(first: date, today: date) -> date:
    """The first of `first`, `first` + 1 month, + 2 months ... that is not before today."""
    months = max(0, (today.year - first.year) * 12 + today.month - first.month - 1)
    while True:
        year, month = divmod(first.month - 1 + months, 12)
        year, month = first.year + year, month + 1
        candidate = date(year, month, min(first.day, calendar.monthrange(year, month)[1]))
        if candidate >= today:
            return candidate
        months += 1


def credit_liabilities(seed: str, profile: Profile, anchor: date, today: date) -> list[dict[str, Any]]:
    """Card details; the first card falls due 1-5 days after the item was linked, then monthly."""
    rng = random.Random(f"{seed}:liabilities")
    out = []
    for number, (account, kind) in enumerate(zip(profile.accounts, profile.kinds, strict=True)):
        if kind != "credit":
            continue
        first_due = anchor + timedelta(
            days=rng.randrange(1, 6) if number == profile.kinds.index("credit") else rng.randrange(8, 26)
        )
        due = _monthly_on_or_after(first_due, today)
        statement_date = due - timedelta(days=25)
        current = account["balances"]["current"]
        statement = round(current * rng.uniform(0.7, 1.0), 2)
        purchase_apr = round(rng.uniform(18.99, 29.99), 2)
        interest = round(statement * purchase_apr / 1200, 2) if rng.random() < 0.4 else 0.0
        minimum = min(statement, max(25.0, round(statement * 0.01 + interest, 2)))
        overdue = rng.random() < 0.08
        last_payment = due - timedelta(days=(31 if not overdue else 62) + rng.randrange(0, 4))
        out.append(
            {
                "account_id": account["account_id"],
                "aprs": [
                    {
                        "apr_percentage": purchase_apr,
                        "apr_type": "purchase_apr",
                        "balance_subject_to_apr": statement,
                        "interest_charge_amount": interest,
                    },
                    {
                        "apr_percentage": round(purchase_apr + rng.uniform(3, 6), 2),
                        "apr_type": "cash_apr",
                        "balance_subject_to_apr": 0.0,
                        "interest_charge_amount": 0.0,
                    },
                    {
                        "apr_percentage": rng.choice((0.0, round(purchase_apr - 2, 2))),
                        "apr_type": "balance_transfer_apr",
                        "balance_subject_to_apr": None,
                        "interest_charge_amount": None,
                    },
                ],
                "is_overdue": overdue,
                "last_payment_amount": round(rng.uniform(minimum, max(minimum, statement)), 2),
                "last_payment_date": last_payment.isoformat(),
                "last_statement_issue_date": statement_date.isoformat(),
                "last_statement_balance": statement,
                "minimum_payment_amount": minimum,
                "next_payment_due_date": due.isoformat(),
            }
        )
    return out
