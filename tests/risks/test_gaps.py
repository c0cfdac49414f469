"""Asset groups, changing an assessment, switching catalog entries off, and treatment controls
from the 対策基準: services, pages and API, with their bad input."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from isms.assets.models import InformationAsset
from isms.core import services as core_services
from isms.core.models import JournalEntry, Person
from isms.risks import services
from isms.risks.models import AssetGroup, Risk, Threat
from tests.assets.factories import make_asset
from tests.risks.factories import make_controls, make_risk, threat, vulnerability
from tests.support.factories import make_unit

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def _journal() -> int:
    return JournalEntry.objects.count()


def _api(client, user):
    raw = core_services.issue_api_token(user, name="t")[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def call(method, name, body=None, **kwargs):
        url = reverse(f"api:{name}", kwargs=kwargs)
        if method == "get":
            return client.get(url, body or {}, **headers)
        send = getattr(client, method)
        return send(url, json.dumps(body or {}), content_type="application/json", **headers)

    return call


# --- asset groups ------------------------------------------------------------------------------


def test_a_group_is_created_renamed_and_its_members_changed_journaled(tsuru, manager):
    m = tsuru.municipality
    a, b = make_asset(m, tsuru.unit), make_asset(m, tsuru.unit)
    group = services.create_asset_group(
        manager, m, name="窓口端末", owning_unit=tsuru.unit, assets=[a]
    )

    changed = services.update_asset_group(manager, group, name="窓口端末一式", assets=[a, b])

    assert changed.name == "窓口端末一式"
    assert set(changed.assets.all()) == {a, b}
    entry = JournalEntry.objects.filter(action="asset_group.update").get()
    assert (entry.before["assets"], entry.after["assets"]) == ([a.pk], sorted([a.pk, b.pk]))
    before = _journal()
    services.update_asset_group(manager, changed, name="窓口端末一式", assets=[b, a])
    assert _journal() == before  # nothing changed, nothing written


@pytest.mark.parametrize("case", ["empty", "disposed", "other_unit", "other_town", "duplicate"])
def test_bad_groups_are_refused_clearly_and_nothing_is_saved(tsuru, kofu, manager, case):
    m = tsuru.municipality
    held = make_asset(m, tsuru.unit, asset_number="G-1")
    services.create_asset_group(None, m, name="既存", owning_unit=tsuru.unit, assets=[held])
    other_unit = make_unit(m, "税務課", parent=tsuru.bureau)
    members = {
        "empty": [],
        "disposed": [make_asset(m, tsuru.unit, asset_number="G-2")],
        "other_unit": [make_asset(m, other_unit, asset_number="G-3")],
        "other_town": [make_asset(kofu.municipality, kofu.unit, asset_number="G-4")],
        "duplicate": [held],
    }[case]
    if case == "disposed":
        InformationAsset.objects.filter(pk=members[0].pk).update(status="disposed")
        members[0].refresh_from_db()
    name = "既存" if case == "duplicate" else "新規"
    groups, before = AssetGroup.objects.count(), _journal()

    with pytest.raises(ValidationError) as exc:
        services.create_asset_group(manager, m, name=name, owning_unit=tsuru.unit, assets=members)

    expected = {
        "empty": {"assets": ["Choose at least one asset: a group cannot be empty."]},
        "disposed": lambda: {
            "assets": [
                f"{members[0]} has been disposed of: its risks are no longer assessed. Choose "
                "an asset that is still held."
            ]
        },
        "other_unit": {
            "assets": [
                "G-3 belongs to another unit. A group holds the assets of its own unit "
                f"({tsuru.unit.name}) only."
            ]
        },
        "other_town": {"assets": ["Choose assets of this municipality."]},
        "duplicate": {"name": ["A group named 既存 exists already. Choose another name."]},
    }[case]
    assert _errors(exc) == (expected() if callable(expected) else expected)
    assert (AssetGroup.objects.count(), _journal()) == (groups, before)


def test_a_group_edit_refuses_a_disposed_member_and_a_taken_name(tsuru, manager):
    m = tsuru.municipality
    a, b = make_asset(m, tsuru.unit), make_asset(m, tsuru.unit)
    services.create_asset_group(None, m, name="他の組", owning_unit=tsuru.unit, assets=[b])
    group = services.create_asset_group(None, m, name="窓口", owning_unit=tsuru.unit, assets=[a])
    InformationAsset.objects.filter(pk=a.pk).update(status="disposed")
    a.refresh_from_db()

    with pytest.raises(ValidationError) as exc:
        services.update_asset_group(manager, group, name="他の組", assets=[a])

    assert set(_errors(exc)) == {"name", "assets"}
    group.refresh_from_db()
    assert group.name == "窓口"


def test_only_the_units_manager_or_a_lead_changes_a_group(tsuru, manager):
    m = tsuru.municipality
    other_unit = make_unit(m, "税務課", parent=tsuru.bureau)
    group = services.create_asset_group(
        None, m, name="税務端末", owning_unit=other_unit, assets=[make_asset(m, other_unit)]
    )

    with pytest.raises(PermissionDenied):
        services.update_asset_group(manager, group, name="改名", assets=list(group.assets.all()))
    with pytest.raises(PermissionDenied):
        services.update_asset_group(
            tsuru.staff, group, name="改名", assets=list(group.assets.all())
        )
    services.update_asset_group(tsuru.lead, group, name="改名", assets=list(group.assets.all()))


def test_group_pages_list_create_and_edit(client, tsuru, manager):
    m = tsuru.municipality
    a = make_asset(m, tsuru.unit, asset_number="P-1")
    b = make_asset(m, tsuru.unit, asset_number="P-2")
    client.force_login(manager)

    response = client.post(
        reverse("risks:group_create"),
        {"name": "窓口端末", "owning_unit": tsuru.unit.pk, "asset_numbers": "P-1、P-2"},
        **EN,
    )
    group = AssetGroup.objects.get()
    edited = client.post(
        reverse("risks:group_edit", kwargs={"pk": group.pk}),
        {"name": "窓口端末一式", "asset_numbers": "P-2"},
        **EN,
    )
    listing = client.get(reverse("risks:group_list"), **EN).content.decode()

    assert response.status_code == 302 and edited.status_code == 302
    group.refresh_from_db()
    assert (group.name, list(group.assets.all())) == ("窓口端末一式", [b])
    assert "窓口端末一式" in listing
    assert a.pk != b.pk


def test_group_pages_show_errors_in_place_without_echoing_unknown_numbers(client, tsuru, manager):
    m = tsuru.municipality
    make_asset(m, tsuru.unit, asset_number="P-1")
    client.force_login(manager)

    response = client.post(
        reverse("risks:group_create"),
        {"name": "窓口端末", "owning_unit": tsuru.unit.pk, "asset_numbers": "P-1\nKOFU-999"},
        **EN,
    )
    empty = client.post(
        reverse("risks:group_create"),
        {"name": "空", "owning_unit": tsuru.unit.pk, "asset_numbers": ""},
        **EN,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "1 number names no asset of this municipality. Check it." in html
    assert "KOFU-999" not in html
    assert "a group cannot be empty" in empty.content.decode()
    assert not AssetGroup.objects.exists()


def test_group_api_create_update_and_bad_input(client, tsuru, kofu, manager):
    m = tsuru.municipality
    a, b = make_asset(m, tsuru.unit), make_asset(m, tsuru.unit)
    stranger = make_asset(kofu.municipality, kofu.unit)
    call = _api(client, manager)
    body = {"name": "窓口端末", "owning_unit_id": tsuru.unit.pk, "asset_ids": [a.pk]}

    created = call("post", "create_asset_group", body)
    group_id = created.json()["id"]
    updated = call(
        "put", "update_asset_group", {"name": "一式", "asset_ids": [a.pk, b.pk]}, group_id=group_id
    )
    empty = call("put", "update_asset_group", {"name": "一式", "asset_ids": []}, group_id=group_id)
    foreign = call("post", "create_asset_group", {**body, "asset_ids": [stranger.pk]})
    duplicate = call("post", "create_asset_group", {**body, "name": "一式"})
    listed = call("get", "list_asset_groups")

    assert created.status_code == 201
    assert updated.status_code == 200
    assert updated.json()["asset_ids"] == sorted([a.pk, b.pk])
    assert (empty.status_code, list(empty.json()["errors"])) == (422, ["asset_ids"])
    assert (foreign.status_code, list(foreign.json()["errors"])) == (422, ["asset_ids"])
    assert (duplicate.status_code, list(duplicate.json()["errors"])) == (422, ["name"])
    assert [g["name"] for g in listed.json()["items"]] == ["一式"]


# --- changing an assessment ---------------------------------------------------------------------


def test_reassessing_proposes_again_and_withdraws_an_acceptance(tsuru, manager, ciso):
    m = tsuru.municipality
    asset = make_asset(m, tsuru.unit, confidentiality="2")
    risk = make_risk(m, asset, actor=manager, likelihood=4)
    risk = services.treat_risk(
        manager, risk, treatment="accept", owner=Person.objects.get(user=tsuru.lead)
    )
    risk = services.approve_acceptance(ciso, services.request_acceptance(manager, risk))
    InformationAsset.objects.filter(pk=asset.pk).update(confidentiality="3")

    changed = services.reassess_risk(manager, risk, likelihood=2, impact=None)

    assert (changed.proposed_impact, changed.impact) == (4, 4)  # 機密性3 now
    assert (changed.status, changed.accepted_by_id) == ("treated", None)
    assert (changed.residual_likelihood, changed.residual_impact) == (2, 4)  # not above inherent
    entry = JournalEntry.objects.filter(action="risk.reassess").get()
    assert (entry.before["status"], entry.after["status"]) == ("accepted", "treated")


def test_an_unchanged_reassessment_keeps_the_acceptance_and_writes_nothing(tsuru, manager, ciso):
    risk = make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager, scenario="漏えい")
    risk = services.treat_risk(
        manager, risk, treatment="accept", owner=Person.objects.get(user=tsuru.lead)
    )
    risk = services.approve_acceptance(ciso, services.request_acceptance(manager, risk))
    before = _journal()

    same = services.reassess_risk(
        manager, risk, likelihood=risk.likelihood, impact=risk.impact, scenario="漏えい"
    )

    assert same.status == "accepted" and _journal() == before


def test_a_disposed_asset_is_not_reassessed(tsuru, manager):
    asset = make_asset(tsuru.municipality, tsuru.unit)
    risk = make_risk(tsuru.municipality, asset, actor=manager)
    InformationAsset.objects.filter(pk=asset.pk).update(status="disposed")
    risk.refresh_from_db()
    before = _journal()

    with pytest.raises(ValidationError) as exc:
        services.reassess_risk(manager, risk, likelihood=1, impact=None)

    assert list(_errors(exc)) == ["asset"]
    assert "has been disposed of" in _errors(exc)["asset"][0]
    assert _journal() == before


def test_staff_cannot_reassess(tsuru, manager):
    risk = make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager)

    with pytest.raises(PermissionDenied):
        services.reassess_risk(tsuru.staff, risk, likelihood=1, impact=None)


def test_reassess_page_and_api(client, tsuru, manager):
    risk = make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager, likelihood=3)
    client.force_login(manager)
    url = reverse("risks:risk_reassess", kwargs={"pk": risk.pk})

    page = client.get(url, **EN).content.decode()
    bad = client.post(url, {"likelihood": "2", "impact": "5"}, **EN)
    good = client.post(url, {"likelihood": "2", "impact": "", "scenario": "再評価"}, **EN)
    api = _api(client, manager)("post", "reassess_risk", {"likelihood": 9}, risk_id=risk.pk)

    assert 'data-testid="proposed-impact"' in page
    assert bad.status_code == 200
    assert "The proposed impact is 3. Say why you chose 5" in bad.content.decode()
    assert good.status_code == 302
    risk.refresh_from_db()
    assert (risk.likelihood, risk.scenario) == (2, "再評価")
    assert api.status_code == 422
    assert list(api.json()["errors"]) == ["likelihood"]


# --- switching catalog entries off and on -------------------------------------------------------


def test_a_switched_off_threat_is_not_offered_but_stays_on_its_risks(client, tsuru, manager):
    m = tsuru.municipality
    fire = threat(m, "T-DIS-03")
    risk = make_risk(m, unit=tsuru.unit, actor=manager, threat=fire)

    services.set_entry_active(tsuru.lead, fire, active=False)

    with pytest.raises(ValidationError) as exc:
        make_risk(m, unit=tsuru.unit, actor=manager, threat=fire)
    assert _errors(exc) == {"threat": ["This threat is no longer in use. Choose another."]}
    risk.refresh_from_db()
    assert risk.threat_id == fire.pk
    client.force_login(manager)
    form = client.get(reverse("risks:risk_create"), **EN).content.decode()
    assert "T-DIS-03" not in form
    assert JournalEntry.objects.filter(action="threat.deactivate").count() == 1

    services.set_entry_active(tsuru.lead, fire, active=True)
    make_risk(m, unit=tsuru.unit, actor=manager, threat=fire)
    assert JournalEntry.objects.filter(action="threat.activate").count() == 1


def test_a_switched_off_vulnerability_is_refused_for_new_risks(tsuru, manager):
    m = tsuru.municipality
    weak = vulnerability(m)
    services.set_entry_active(None, weak, active=False)

    with pytest.raises(ValidationError) as exc:
        make_risk(m, unit=tsuru.unit, actor=manager, vulnerability=weak)

    assert list(_errors(exc)) == ["vulnerability"]


def test_only_the_catalog_managers_switch_entries(client, tsuru, manager):
    fire = threat(tsuru.municipality, "T-DIS-03")

    with pytest.raises(PermissionDenied):
        services.set_entry_active(manager, fire, active=False)
    client.force_login(tsuru.lead)
    url = reverse("risks:catalog_entry_active", kwargs={"kind": "threat", "pk": fire.pk})
    response = client.post(url, {"active": "0"}, **EN)
    page = client.get(reverse("risks:catalog"), **EN).content.decode()
    api = _api(client, tsuru.lead)(
        "post",
        "set_vulnerability_active",
        {"active": "maybe"},
        vulnerability_id=vulnerability(tsuru.municipality).pk,
    )
    bogus = client.post(
        reverse("risks:catalog_entry_active", kwargs={"kind": "asset", "pk": fire.pk}), **EN
    )

    assert response.status_code == 302
    assert not Threat.objects.get(pk=fire.pk).active
    assert 'data-testid="switched-off"' in page
    assert api.status_code == 422
    assert bogus.status_code == 404


# --- treatment controls from the 対策基準 ---------------------------------------------------


def test_a_treatment_names_controls_of_the_current_standard(tsuru, manager):
    m = tsuru.municipality
    c1, c2 = make_controls(m, "4.1.1", "4.1.2")
    risk = make_risk(m, unit=tsuru.unit, actor=manager)
    owner = Person.objects.get(user=manager)

    treated = services.treat_risk(
        manager, risk, treatment="reduce", owner=owner, catalog_controls=[c1, c2]
    )

    assert set(treated.catalog_controls.all()) == {c1, c2}
    entry = JournalEntry.objects.filter(action="risk.treat").get()
    assert len(entry.after["catalog_controls"]) == 2


def test_controls_of_another_town_or_an_old_version_are_refused(tsuru, kofu, manager):
    m = tsuru.municipality
    (old,) = make_controls(m, "4.1.1", version="1")
    make_controls(m, "4.1.1", version="2")
    (foreign,) = make_controls(kofu.municipality, "4.1.1")
    risk = make_risk(m, unit=tsuru.unit, actor=manager)
    owner = Person.objects.get(user=manager)

    for control in (old, foreign):
        with pytest.raises(ValidationError) as exc:
            services.treat_risk(
                manager,
                risk,
                treatment="reduce",
                owner=owner,
                controls="施錠",
                catalog_controls=[control],
            )
        assert _errors(exc) == {
            "catalog_controls": [
                "Control 4.1.1 is not in the current 対策基準 of this municipality. Choose "
                "controls of the current version."
            ]
        }
    risk.refresh_from_db()
    assert not risk.catalog_controls.exists() and risk.treatment == ""


def test_treatment_page_resolves_control_ids_and_shows_them_and_exports_them(
    client, tsuru, manager
):
    m = tsuru.municipality
    make_controls(m, "4.1.1", "6.2.3")
    risk = make_risk(m, unit=tsuru.unit, actor=manager)
    client.force_login(manager)
    url = reverse("risks:risk_treat", kwargs={"pk": risk.pk})
    data = {
        "treatment": "reduce",
        "owner_number": Person.objects.get(user=manager).employee_number,
        "residual_likelihood": "1",
        "residual_impact": "1",
    }

    unknown = client.post(url, {**data, "control_codes": "4.1.1, 9.9.9"}, **EN)
    saved = client.post(url, {**data, "control_codes": "4.1.1、6.2.3"}, **EN)
    detail = client.get(reverse("risks:risk_detail", kwargs={"pk": risk.pk}), **EN)
    export = client.get(reverse("risks:risk_export"), {"format": "xlsx"})

    assert unknown.status_code == 200
    assert "9.9.9: no such control ID in 対策基準 (1)" in unknown.content.decode()
    assert saved.status_code == 302
    shown = detail.content.decode().split('data-testid="catalog-controls"', 1)[1]
    assert "4.1.1" in shown and "6.2.3" in shown
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    assert row[header.index("対策基準の管理策")] == "4.1.1、6.2.3"


def test_treatment_controls_through_the_api(client, tsuru, kofu, manager):
    m = tsuru.municipality
    (mine,) = make_controls(m, "4.1.1")
    (foreign,) = make_controls(kofu.municipality, "4.1.1")
    risk = make_risk(m, unit=tsuru.unit, actor=manager)
    owner = Person.objects.get(user=manager)
    call = _api(client, manager)

    refused = call(
        "post",
        "treat_risk",
        {"treatment": "reduce", "owner_id": owner.pk, "catalog_control_ids": [foreign.pk]},
        risk_id=risk.pk,
    )
    done = call(
        "post",
        "treat_risk",
        {"treatment": "reduce", "owner_id": owner.pk, "catalog_control_ids": [mine.pk]},
        risk_id=risk.pk,
    )

    assert (refused.status_code, list(refused.json()["errors"])) == (422, ["catalog_control_ids"])
    assert done.status_code == 200
    assert done.json()["catalog_control_ids"] == [mine.pk]
    listed = call("get", "list_risks").json()["items"]
    assert listed[0]["catalog_control_ids"] == [mine.pk]


def test_a_group_risk_is_assessed_for_a_group_made_on_its_page(client, tsuru, manager):
    m = tsuru.municipality
    make_asset(m, tsuru.unit, asset_number="P-1", confidentiality="3")
    client.force_login(manager)
    client.post(
        reverse("risks:group_create"),
        {"name": "窓口端末", "owning_unit": tsuru.unit.pk, "asset_numbers": "P-1"},
        **EN,
    )
    group = AssetGroup.objects.get()

    response = client.post(
        reverse("risks:risk_create"),
        {"asset_group": group.pk, "threat": threat(m).pk, "likelihood": "2"},
        **EN,
    )

    assert response.status_code == 302
    assert Risk.objects.get().asset_group_id == group.pk


def test_a_manager_groups_only_their_own_units_assets(client, tsuru, manager):
    m = tsuru.municipality
    other_unit = make_unit(m, "税務課", parent=tsuru.bureau)
    make_asset(m, other_unit, asset_number="T-1")
    client.force_login(manager)

    form = client.get(reverse("risks:group_create"), **EN).content.decode()
    response = client.post(
        reverse("risks:group_create"),
        {"name": "税務端末", "owning_unit": other_unit.pk, "asset_numbers": "T-1"},
        **EN,
    )

    assert tsuru.unit.name in form and "税務課" not in form
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not AssetGroup.objects.exists()


# --- a group's members change under an accepted risk ---------------------------------------------


def _accepted_group_risks(tsuru, manager, ciso):
    m = tsuru.municipality
    a, b = make_asset(m, tsuru.unit), make_asset(m, tsuru.unit)
    group = services.create_asset_group(
        manager, m, name="窓口端末", owning_unit=tsuru.unit, assets=[a]
    )
    lead = Person.objects.get(user=tsuru.lead)
    accepted = make_risk(m, asset_group=group, asset=None, actor=manager)
    accepted = services.treat_risk(manager, accepted, treatment="accept", owner=lead)
    accepted = services.approve_acceptance(ciso, services.request_acceptance(manager, accepted))
    requested = make_risk(
        m, asset_group=group, asset=None, actor=manager, threat=threat(m, "T-INT-02")
    )
    requested = services.treat_risk(manager, requested, treatment="accept", owner=lead)
    requested = services.request_acceptance(manager, requested)
    return group, a, b, accepted, requested


def test_changing_a_groups_members_voids_the_acceptance_of_its_risks(tsuru, manager, ciso):
    group, a, b, accepted, requested = _accepted_group_risks(tsuru, manager, ciso)
    assert (accepted.status, requested.status) == ("accepted", "acceptance_requested")

    # a rename alone keeps the acceptance
    services.update_asset_group(manager, group, name="窓口端末一式", assets=[a])
    assert Risk.objects.get(pk=accepted.pk).status == "accepted"

    # widening the group voids it, journaled in the same change
    services.update_asset_group(manager, group, name="窓口端末一式", assets=[a, b])

    for risk in (accepted, requested):
        risk.refresh_from_db()
        assert risk.status == "treated"
        assert risk.accepted_by_id is None and risk.acceptance_requested_by_id is None
    voided = JournalEntry.objects.filter(action="risk.acceptance_voided")
    assert sorted(voided.values_list("object_id", flat=True)) == sorted(
        [str(accepted.pk), str(requested.pk)]
    )
    assert {e.before["status"] for e in voided} == {"accepted", "acceptance_requested"}


def test_nothing_is_voided_when_the_member_change_fails(tsuru, manager, ciso, monkeypatch):
    group, a, b, accepted, _requested = _accepted_group_risks(tsuru, manager, ciso)
    real = services.journal.record

    def failing(*args, **kwargs):
        if kwargs.get("action") == "risk.acceptance_voided":
            raise RuntimeError("journal down")
        return real(*args, **kwargs)

    monkeypatch.setattr(services.journal, "record", failing)
    with pytest.raises(RuntimeError):
        services.update_asset_group(manager, group, name=group.name, assets=[a, b])

    assert Risk.objects.get(pk=accepted.pk).status == "accepted"
    assert set(AssetGroup.objects.get(pk=group.pk).assets.all()) == {a}


def test_the_group_edit_page_warns_of_the_acceptances_it_voids(client, tsuru, manager, ciso):
    group, *_rest = _accepted_group_risks(tsuru, manager, ciso)
    client.force_login(manager)

    html = client.get(reverse("risks:group_edit", kwargs={"pk": group.pk}), **EN).content.decode()

    assert 'data-testid="acceptance-voided-warning"' in html
    assert "voids the acceptance" in html


# --- too many members -----------------------------------------------------------------------------


def test_a_group_of_too_many_numbers_is_refused_with_a_field_error(client, tsuru, manager):
    from isms.risks.models import MAX_GROUP_ASSETS

    make_asset(tsuru.municipality, tsuru.unit, asset_number="P-1")
    client.force_login(manager)
    many = "\n".join(f"N-{i}" for i in range(MAX_GROUP_ASSETS + 1))
    huge = "\n".join(f"N-{i}" for i in range(20000))

    counted = client.post(
        reverse("risks:group_create"),
        {"name": "大量", "owning_unit": tsuru.unit.pk, "asset_numbers": many},
        **EN,
    )
    too_long = client.post(
        reverse("risks:group_create"),
        {"name": "大量", "owning_unit": tsuru.unit.pk, "asset_numbers": huge},
        **EN,
    )

    assert counted.status_code == 200
    assert f"A group holds at most {MAX_GROUP_ASSETS} assets" in counted.content.decode()
    assert too_long.status_code == 200
    assert "Ensure this value has at most" in too_long.content.decode()
    assert not AssetGroup.objects.exists()


def test_the_api_refuses_a_group_of_too_many_assets(client, tsuru, manager):
    from isms.risks.models import MAX_GROUP_ASSETS

    a = make_asset(tsuru.municipality, tsuru.unit)
    call = _api(client, manager)
    ids = list(range(1, MAX_GROUP_ASSETS + 2))
    body = {"name": "大量", "owning_unit_id": tsuru.unit.pk, "asset_ids": ids}

    created = call("post", "create_asset_group", body)
    group = services.create_asset_group(
        manager, tsuru.municipality, name="窓口", owning_unit=tsuru.unit, assets=[a]
    )
    updated = call(
        "put", "update_asset_group", {"name": "窓口", "asset_ids": ids}, group_id=group.pk
    )

    assert (created.status_code, list(created.json()["errors"])) == (422, ["asset_ids"])
    assert (updated.status_code, list(updated.json()["errors"])) == (422, ["asset_ids"])
    assert AssetGroup.objects.count() == 1


def test_the_service_refuses_a_group_of_too_many_assets(tsuru, manager, monkeypatch):
    from isms.risks import services as risk_services

    monkeypatch.setattr(risk_services, "MAX_GROUP_ASSETS", 1)
    a, b = make_asset(tsuru.municipality, tsuru.unit), make_asset(tsuru.municipality, tsuru.unit)

    with pytest.raises(ValidationError) as exc:
        services.create_asset_group(
            manager, tsuru.municipality, name="窓口", owning_unit=tsuru.unit, assets=[a, b]
        )

    assert "at most 1 assets" in _errors(exc)["assets"][0]
