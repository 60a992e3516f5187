"""Dates as the person lives them: in the time zone of their profile."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone


def zone(tz_name: str | None) -> ZoneInfo:
    """The named zone; UTC when the name is empty or unknown."""
    try:
        return ZoneInfo(tz_name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def local_today(tz_name: str | None, now: datetime | None = None) -> date:
    """Today where the person is."""
    return (now or timezone.now()).astimezone(zone(tz_name)).date()


def day_label(day: date | None) -> str:
    """The one date format of the product: "Mar 5, 2026" ("" when unknown)."""
    return f"{day:%b} {day.day}, {day.year}" if day else ""


def local_day_label(moment: datetime | None, tz_name: str | None) -> str:
    """The calendar day of `moment` where the person is, as `day_label` writes it."""
    return day_label(timezone.localtime(moment, zone(tz_name)).date()) if moment else ""
