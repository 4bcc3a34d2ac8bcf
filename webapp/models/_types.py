from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops tzinfo otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[override]
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(self, value, dialect):  # type: ignore[override]
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value



def local_today() -> dt.date:
    """Today's date where the users are; dates on reports and deadlines are Swedish dates."""
    from webapp import clock

    return clock.today()


def str_enum(enum_class: type, **kwargs: object):  # type: ignore[no-untyped-def]
    """A Python StrEnum stored as its value in a VARCHAR: portable, and new values need no
    ALTER TYPE on PostgreSQL."""
    from sqlalchemy import Enum

    return Enum(enum_class, native_enum=False, length=20,
                values_callable=lambda e: [m.value for m in e], **kwargs)
