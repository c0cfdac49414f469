"""Who sees and edits which assets: own unit, the units one answers for and below, the leads."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from isms.assets import services, visibility
from isms.assets.models import InformationAsset
from isms.core import delegation
from isms.core import services as core_services
from isms.core.models import JournalEntry
from tests.assets.factories import delegate, fresh, make_asset, make_register
from tests.support.factories import make_user

DAY = datetime.timedelta(days=1)


@pytest.fixture
def reg(tsuru):
    return make_register(tsuru)


def _seen(user) -> set[int]:
    return set(visibility.visible_assets(fresh(user)).values_list("pk", flat=True))


def _all(reg) -> set[int]:
    return {reg.asset.pk, reg.section_asset.pk, reg.other_asset.pk, reg.citizen_asset.pk}


def test_staff_see_their_own_units_assets_only(reg):
    """A plain member of 総務課 sees 総務課's assets, not the 係 below it nor another 課."""
    assert _seen(reg.tenant.staff) == {reg.asset.pk}
    assert _seen(reg.section_staff) == {reg.section_asset.pk}


def test_a_division_manager_sees_their_division_and_the_sections_below(reg):
    assert _seen(reg.manager) == {reg.asset.pk, reg.section_asset.pk}
    assert _seen(reg.other_manager) == {reg.other_asset.pk}


def test_a_division_manager_edits_their_division_and_sections_but_not_another(reg):
    manager = fresh(reg.manager)
    assert visibility.can_edit(manager, reg.asset) is True
    assert visibility.can_edit(manager, reg.section_asset) is True
    assert visibility.can_edit(manager, reg.other_asset) is False
    assert visibility.can_edit(manager, reg.citizen_asset) is False


def test_a_bureau_officer_sees_and_edits_the_whole_bureau(reg):
    officer = fresh(reg.bureau_officer)
    assert _seen(officer) == {reg.asset.pk, reg.section_asset.pk, reg.other_asset.pk}
    assert visibility.can_edit(officer, reg.other_asset) is True
    assert visibility.can_edit(officer, reg.citizen_asset) is False


@pytest.mark.parametrize("who", ["lead", "admin", "ciso", "auditor"])
def test_the_leads_the_auditor_and_the_administrator_see_the_whole_register(reg, who):
    user = {
        "lead": reg.tenant.lead,
        "admin": reg.tenant.admin,
        "ciso": reg.ciso,
        "auditor": reg.auditor,
    }[who]
    assert _seen(user) == _all(reg)


def test_the_auditor_sees_everything_but_edits_nothing(reg):
    auditor = fresh(reg.auditor)
    assert not any(
        visibility.can_edit(auditor, a)
        for a in (reg.asset, reg.section_asset, reg.other_asset, reg.citizen_asset)
    )
    before = InformationAsset.objects.get(pk=reg.asset.pk).name
    with pytest.raises(PermissionDenied):
        services.update_asset(auditor, reg.asset, name="監査人が変更")
    assert InformationAsset.objects.get(pk=reg.asset.pk).name == before


@pytest.mark.parametrize("who", ["lead", "admin", "ciso"])
def test_the_leads_and_the_administrator_edit_every_asset(reg, who):
    user = fresh({"lead": reg.tenant.lead, "admin": reg.tenant.admin, "ciso": reg.ciso}[who])
    assert all(
        visibility.can_edit(user, a)
        for a in (reg.asset, reg.section_asset, reg.other_asset, reg.citizen_asset)
    )


def test_another_municipality_sees_and_edits_nothing(reg, kofu):
    other = make_register(kofu)
    for user in (other.manager, other.tenant.lead, other.tenant.admin, other.auditor):
        seen = set(visibility.visible_assets(fresh(user)).values_list("municipality_id", flat=True))
        assert seen == {kofu.municipality.pk}
        assert visibility.can_view(fresh(user), reg.asset) is False
        assert visibility.can_edit(fresh(user), reg.asset) is False
    with pytest.raises(InformationAsset.DoesNotExist):
        visibility.read_asset(fresh(other.tenant.lead), reg.asset.pk)


def test_a_service_administrator_sees_the_register_only_with_the_grant(reg):
    m = reg.municipality
    operator = make_user(None, "pref-operator", service_admin_of=(m,))
    assert _seen(operator) == set()
    assert visibility.can_edit(fresh(operator), reg.asset) is False
    core_services.set_service_access(reg.tenant.admin, m, sensitive_access=True, reason="共同運用")
    assert _seen(operator) == _all(reg)
    assert visibility.can_edit(fresh(operator), reg.citizen_asset) is True


def test_a_deputy_sees_and_edits_the_absent_managers_unit_during_the_delegation(reg):
    # given: 総務課's manager names a colleague deputy from today
    d = delegate(reg.manager, reg.colleague)
    # then: the colleague sees and edits the whole 課 (and the 係 below) but not 企画課
    assert _seen(reg.colleague) == {reg.asset.pk, reg.section_asset.pk}
    assert visibility.can_edit(fresh(reg.colleague), reg.section_asset) is True
    assert visibility.can_edit(fresh(reg.colleague), reg.other_asset) is False
    # when the delegation ends early, the deputy is back to their own unit
    delegation.revoke_delegation(reg.manager, d)
    assert _seen(reg.colleague) == {reg.asset.pk}
    assert visibility.can_edit(fresh(reg.colleague), reg.asset) is False


def test_a_future_delegation_gives_nothing_yet(reg):
    delegate(reg.manager, reg.section_staff, start=timezone.localdate() + DAY)
    staff = fresh(reg.section_staff)
    assert _seen(staff) == {reg.section_asset.pk}
    assert reg.unit.pk in visibility.managed_units(staff, timezone.localdate() + DAY)


def test_the_edit_capacity_of_a_deputy_names_the_absent_manager(reg):
    delegate(reg.manager, reg.colleague)
    capacity = visibility.edit_capacity(fresh(reg.colleague), reg.municipality.pk, reg.unit.pk)
    assert capacity.on_behalf_of == reg.manager.person
    own = visibility.edit_capacity(fresh(reg.manager), reg.municipality.pk, reg.unit.pk)
    assert own.on_behalf_of is None and own.label == ""


def test_reading_a_confidentiality_3_asset_is_journaled(reg):
    # given
    secret = make_asset(reg.municipality, reg.unit, name="税情報", confidentiality="3")
    manager = fresh(reg.manager)
    # when
    found = visibility.read_asset(manager, secret.pk)
    # then
    assert found.pk == secret.pk
    entry = JournalEntry.objects.get(kind=JournalEntry.Kind.READ, object_id=str(secret.pk))
    assert (entry.actor, entry.action, entry.object_type) == (
        manager,
        "asset.read",
        "assets.informationasset",
    )


def test_reading_a_confidentiality_2_asset_is_not_journaled(reg):
    visibility.read_asset(fresh(reg.manager), reg.asset.pk)
    assert not JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).exists()


def test_reading_an_asset_out_of_sight_is_not_found_and_not_journaled(reg):
    secret = make_asset(reg.municipality, reg.other_division, confidentiality="3")
    with pytest.raises(InformationAsset.DoesNotExist):
        visibility.read_asset(fresh(reg.manager), secret.pk)
    assert not JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).exists()


def test_every_r6_10_confidentiality_3_class_counts_as_confidentiality_3():
    from isms.assets.facts import is_confidentiality_3

    assert [c for c in ("3", "3A", "3B", "3C", "2", "1") if is_confidentiality_3(c)] == [
        "3",
        "3A",
        "3B",
        "3C",
    ]
