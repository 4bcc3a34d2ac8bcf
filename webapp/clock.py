"""The product's clock for scheduling (openings, reminders, digests, link expiry).

Tests move time for every process at once (web, worker, beat) by writing an ISO datetime to
the file named by UPPFOLJNING_CLOCK_FILE; production ignores it.
"""
from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def now() -> dt.datetime:
    path = os.environ.get("UPPFOLJNING_CLOCK_FILE")
    if path and os.environ.get("UPPFOLJNING_ENV") != "production":
        try:
            with open(path, encoding="utf-8") as file:
                value = file.read().strip()
        except FileNotFoundError:
            value = ""
        if value:
            moment = dt.datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=STOCKHOLM)
    return dt.datetime.now(dt.UTC)


def local_now() -> dt.datetime:
    return now().astimezone(STOCKHOLM)


def today() -> dt.date:
    """Today's date in Sweden: deadlines and openings are Swedish dates."""
    return local_now().date()
