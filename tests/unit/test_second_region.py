"""A second region's plan file names its own region, unit and county; nothing in it is Örebro."""
from __future__ import annotations

from pathlib import Path

import pytest

from webapp.services.plan_schema import PlanFileError, parse

GAVLEBORG = Path(__file__).resolve().parents[1] / "data" / "region-gavleborg.yaml"


def test_a_second_regions_plan_file_names_who_runs_the_follow_up() -> None:
    plan = parse(GAVLEBORG.read_text(encoding="utf-8"))
    assert (plan.region, plan.unit, plan.county) == (
        "Region Gävleborg", "Enheten för social hållbarhet", "Gävleborgs län")
    assert len(plan.municipalities) == 10
    assert all(m.code.startswith("21") for m in plan.municipalities)
    assert "Örebro" not in GAVLEBORG.read_text(encoding="utf-8")


def test_region_and_unit_are_checked_like_every_other_text() -> None:
    text = GAVLEBORG.read_text(encoding="utf-8").replace(
        "region: Region Gävleborg", "region: [Region, Gävleborg]")
    with pytest.raises(PlanFileError) as refused:
        parse(text)
    assert refused.value.shown == [
        "Rad 5, kolumn 9: region (regionens namn) ska vara text; sätt citattecken runt värdet."]
