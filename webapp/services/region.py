"""Who runs this deployment: the region, its unit and its county, from the plan file.

Nothing region-specific is written in code: a second region deploys with its own plan file
(top-level ``region``, ``unit`` and ``county``), and the pages, mails and report read it here."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AppSetting

REGION_NAME, UNIT_NAME, COUNTY = "region_name", "unit_name", "county"


@dataclass(frozen=True)
class Identity:
    region: str   # "Region Örebro län"; empty until a plan file names it
    unit: str     # "Område välfärd och folkhälsa"
    county: str   # "Örebro län"

    @property
    def signature(self) -> str:
        """How mails are signed: "unit, region", or whichever of them is known."""
        return ", ".join(part for part in (self.unit, self.region) if part)


def identity() -> Identity:
    values = dict(db.session.execute(select(AppSetting.key, AppSetting.value).where(
        AppSetting.key.in_((REGION_NAME, UNIT_NAME, COUNTY)))).tuples().all())
    return Identity(region=values.get(REGION_NAME, ""), unit=values.get(UNIT_NAME, ""),
                    county=values.get(COUNTY, ""))


def store(*, region: str | None, unit: str | None, county: str | None) -> bool:
    """Keep what the plan file names (a value it leaves out stays as it was); flushes.
    Returns whether anything changed."""
    changed = False
    for key, value in ((REGION_NAME, region), (UNIT_NAME, unit), (COUNTY, county)):
        if value is None:
            continue
        row = db.session.get(AppSetting, key)
        if row is None:
            db.session.add(AppSetting(key=key, value=value))
            changed = True
        elif row.value != value:
            row.value = value
            changed = True
    db.session.flush()
    return changed
