"""The register's questions: heat map, top risks, by unit and segment, changes, summary."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from isms.core.models import Person
from isms.risks import register, services
from isms.risks.catalog import ensure_catalog
from isms.risks.models import Risk
from isms.risks.visibility import visible_risks
from tests.assets.factories import make_asset
from tests.risks.factories import make_risk, this_year, threat
from tests.support.factories import make_unit, make_user


def test_heat_map_counts_current_positions_and_moves_after_treatment(tsuru, manager):
    m = tsuru.municipality
    settings = ensure_catalog(m)
    risk = make_risk(m, unit=tsuru.unit, actor=manager, likelihood=4)  # 4 × 3
    make_risk(m, unit=tsuru.unit, actor=manager, likelihood=4)

    heat = register.heat_map(Risk.objects.all(), settings)
    cells = {(c.likelihood, c.impact): c for row in heat.rows for c in row}
    assert (cells[(4, 3)].count, cells[(4, 3)].level, heat.total) == (2, "high", 2)
    assert [row[0].likelihood for row in heat.rows] == [5, 4, 3, 2, 1]

    services.treat_risk(
        manager,
        risk,
        treatment="reduce",
        owner=Person.objects.get(user=manager),
        controls="MFA",
        residual_likelihood=1,
        residual_impact=3,
    )

    heat = register.heat_map(Risk.objects.all(), settings)
    cells = {(c.likelihood, c.impact): c.count for row in heat.rows for c in row}
    assert (cells[(4, 3)], cells[(1, 3)]) == (1, 1)
    inherent = register.heat_map(Risk.objects.all(), settings, basis="inherent")
    assert {(c.likelihood, c.impact): c.count for row in inherent.rows for c in row}[(4, 3)] == 2


def test_top_risks_by_unit_and_segment(tsuru, manager):
    m = tsuru.municipality
    make_risk(m, make_asset(m, tsuru.unit, segment="mynumber"), actor=manager, likelihood=5)
    make_risk(m, make_asset(m, tsuru.unit, segment="lgwan"), actor=manager, likelihood=1)

    top = register.top_risks(Risk.objects.all())
    units = register.by_unit(Risk.objects.all())
    segments = {row["key"]: row for row in register.by_segment(Risk.objects.all())}

    assert [r.current_score for r in top] == [20, 3]
    assert units == [
        {
            "key": tsuru.unit.pk,
            "name": tsuru.unit.name,
            "total": 2,
            "low": 1,
            "medium": 0,
            "high": 0,
            "very_high": 1,
        }
    ]
    assert (segments["mynumber"]["very_high"], segments["lgwan"]["low"]) == (1, 1)


def test_changes_since_last_year(tsuru, manager):
    m = tsuru.municipality
    fy = this_year()
    kept = make_asset(m, tsuru.unit)
    dropped = make_asset(m, tsuru.unit)
    make_risk(m, kept, actor=manager, likelihood=1, fiscal_year=fy - 1)
    make_risk(m, dropped, actor=manager, fiscal_year=fy - 1)
    raised = make_risk(m, kept, actor=manager, likelihood=5, fiscal_year=fy)
    new = make_risk(m, make_asset(m, tsuru.unit), actor=manager, likelihood=5, fiscal_year=fy)

    changes = register.changes_since_last_year(Risk.objects.all(), fy)

    assert (changes.new, changes.gone, changes.raised, changes.lowered) == (1, 1, 1, 0)
    assert (changes.raised_ids, changes.new_high_ids) == ([raised.pk], [new.pk])


def test_analysis_summary_and_record(tsuru, manager):
    m = tsuru.municipality
    make_risk(m, unit=tsuru.unit, actor=manager, likelihood=5)

    analysis = services.record_analysis(tsuru.lead, m, fiscal_year=this_year(), note="年次")

    assert analysis.summary["total"] == 1
    assert analysis.summary["by_level"]["very_high"] == 1
    assert analysis.summary["open_high"] == analysis.summary["open_high_untreated"] == 1
    again = services.record_analysis(tsuru.lead, m, fiscal_year=this_year())
    assert again.pk == analysis.pk


@pytest.mark.parametrize("count", [2, 12])
def test_register_questions_run_a_fixed_number_of_queries(tsuru, manager, count):
    m = tsuru.municipality
    settings = ensure_catalog(m)
    for _ in range(count):
        make_risk(m, unit=tsuru.unit, actor=manager)
    qs = Risk.objects.filter(municipality=m, fiscal_year=this_year())

    with CaptureQueriesContext(connection) as ctx:
        register.heat_map(qs, settings)
        list(register.top_risks(qs))
        register.by_unit(qs)
        register.by_segment(qs)
        register.changes_since_last_year(Risk.objects.filter(municipality=m), this_year())

    assert len(ctx.captured_queries) == 5


def test_staff_see_only_their_units_risks_and_strangers_none(tsuru, kofu, manager):
    m = tsuru.municipality
    other_unit = make_unit(m, "税務課", parent=tsuru.bureau)
    mine = make_risk(m, unit=tsuru.unit, actor=manager)
    theirs = make_risk(m, make_asset(m, other_unit), actor=tsuru.lead, threat=threat(m, "T-DIS-01"))

    assert list(visible_risks(tsuru.staff)) == [mine]
    assert set(visible_risks(tsuru.lead)) == {mine, theirs}
    assert list(visible_risks(kofu.lead)) == []
    assert list(visible_risks(kofu.admin)) == []
    auditor = make_user(m, "auditor", roles=("auditor",), unit=other_unit)
    assert set(visible_risks(auditor)) == {mine, theirs}
