"""A municipality's own 取扱区分: the service, the page and the API.

Who may reach the page and the API is the access matrix's job (tests/assets/handling_specs.py);
these tests show what they do once reached. Requests ask for English; assertions look at data
(ids, field names, states), not at labels.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from isms.assets import services
from isms.assets.classification import Classification, handling_category
from isms.assets.models import AssetRegisterSettings
from isms.core import services as core_services
from isms.core.models import JournalEntry
from tests.assets.factories import make_register

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PAGE = "assets:handling_categories"


@pytest.fixture
def register(tsuru):
    return make_register(tsuru)


def _category(cid: str | None, ja: str, en: str, **more: Any) -> dict[str, Any]:
    found = {
        "label_ja": ja,
        "label_en": en,
        "description_ja": f"{ja}の説明",
        "description_en": f"About {en}",
        **more,
    }
    if cid is not None:
        found["id"] = cid
    return found


def pre_r6_document(**overrides: Any) -> dict[str, Any]:
    """Two categories for the pre_r6 scheme: 機密性3/2 and 完全性2 are 'closed'."""
    document = {
        "id": "tsuru_two",
        "label_ja": "都留市の二区分",
        "label_en": "Tsuru's two categories",
        "categories": [
            _category("closed", "非公開", "Closed", segments=["mynumber", "lgwan"]),
            _category("open", "公開", "Open"),
        ],
        "mapping": {
            "confidentiality": {"3": "closed", "2": "closed", "1": "open"},
            "integrity": {"2": "closed", "1": "open"},
            "availability": {"2": "open", "1": "open"},
        },
    }
    document.update(overrides)
    return document


def r6_10_document() -> dict[str, Any]:
    document = pre_r6_document(id="tsuru_r6")
    document["mapping"]["confidentiality"] = {
        "3A": "closed",
        "3B": "closed",
        "3C": "closed",
        "2": "open",
        "1": "open",
    }
    return document


def _settings(register) -> AssetRegisterSettings:
    return services.register_settings(register.municipality)


def _settings_entries(register) -> list[JournalEntry]:
    return list(
        JournalEntry.objects.filter(
            municipality=register.municipality, action="asset_register.settings"
        ).order_by("seq")
    )


# --- the service ------------------------------------------------------------------------------


def test_a_valid_document_is_stored_put_in_force_and_journaled(register):
    # given
    lead = register.tenant.lead
    # when
    saved = services.define_handling_categories(
        lead, register.municipality, document=pre_r6_document()
    )
    # then
    stored = AssetRegisterSettings.objects.get(municipality=register.municipality)
    assert stored.pk == saved.pk
    assert stored.handling_category_map == "tsuru_two"
    document = stored.handling_categories["pre_r6"]
    assert document["scheme"] == "pre_r6" and document["version"] == 1
    assert [c["id"] for c in document["categories"]] == ["closed", "open"]
    assert document["categories"][0]["segments"] == ["mynumber", "lgwan"]
    assert "segments" not in document["categories"][1]
    entries = _settings_entries(register)
    assert len(entries) == 1
    assert entries[0].actor_id == lead.pk
    assert entries[0].before is None
    assert entries[0].after["handling_category_map"] == "tsuru_two"
    assert entries[0].after["handling_categories"]["pre_r6"] == document


def test_the_own_mapping_decides_an_assets_category(register):
    # given
    services.define_handling_categories(None, register.municipality, document=pre_r6_document())
    # when
    mapping = services.handling_categories_of(_settings(register))
    # then: 可用性2 maps to 'open', 完全性2 to 'closed'; the strictest wins
    assert mapping is not None and mapping.id == "tsuru_two"
    assert handling_category(Classification("pre_r6", "1", "1", "2"), mapping).id == "open"
    assert handling_category(Classification("pre_r6", "1", "2", "2"), mapping).id == "closed"


def test_left_out_ids_and_version_are_filled_in(register):
    # given: no mapping id, no category ids, no version, no scheme
    document = pre_r6_document()
    del document["id"]
    for category in document["categories"]:
        del category["id"]
    document["mapping"] = {
        "confidentiality": {"3": "category_1", "2": "category_1", "1": "category_2"},
        "integrity": {"2": "category_1", "1": "category_2"},
        "availability": {"2": "category_2", "1": "category_2"},
    }
    # when
    first = services.define_handling_categories(None, register.municipality, document=document)
    second = services.define_handling_categories(None, register.municipality, document=document)
    # then
    stored = first.handling_categories["pre_r6"]
    assert stored["id"] == services.DEFAULT_OWN_MAP_ID
    assert [c["id"] for c in stored["categories"]] == ["category_1", "category_2"]
    assert stored["version"] == 1
    assert second.handling_categories["pre_r6"]["version"] == 2
    assert second.handling_category_map == services.DEFAULT_OWN_MAP_ID


def _without_label_en(d):
    del d["categories"][1]["label_en"]


def _seven_categories(d):
    d["categories"] = [_category(f"c{n}", f"区分{n}", f"C{n}") for n in range(7)]


def _unmapped_class(d):
    del d["mapping"]["confidentiality"]["3"]


def _looser_higher_class(d):
    d["mapping"]["confidentiality"] = {"3": "open", "2": "closed", "1": "open"}


INVALID = {
    "one category": (lambda d: d["categories"].pop(), "categories"),
    "seven categories": (_seven_categories, "categories"),
    "no English label": (_without_label_en, "categories.1.label_en"),
    "blank Japanese description": (
        lambda d: d["categories"][0].update(description_ja="  "),
        "categories.0.description_ja",
    ),
    "blank mapping name": (lambda d: d.update(label_ja=""), "label_ja"),
    "upper-case id": (lambda d: d["categories"][0].update(id="Closed"), "categories.0.id"),
    "id starting with a digit": (lambda d: d.update(id="1st"), "id"),
    "the shipped example's id": (lambda d: d.update(id="three_levels"), "id"),
    "duplicate category id": (
        lambda d: d["categories"][1].update(id="closed"),
        "categories.1.id",
    ),
    "class left unmapped": (_unmapped_class, "mapping.confidentiality.3"),
    "unknown category": (
        lambda d: d["mapping"]["integrity"].update({"2": "secret"}),
        "mapping.integrity.2",
    ),
    "class the scheme lacks": (
        lambda d: d["mapping"]["confidentiality"].update({"3A": "closed"}),
        "mapping.confidentiality.3A",
    ),
    "higher class looser than a lower one": (_looser_higher_class, "mapping.confidentiality.3"),
    "another scheme": (lambda d: d.update(scheme="r6_10"), "scheme"),
    "unknown field": (lambda d: d.update(colour="red"), "colour"),
    "unknown segment": (
        lambda d: d["categories"][0].update(segments=["cloud"]),
        "categories.0.segments",
    ),
    "description too long": (
        lambda d: d["categories"][0].update(description_en="x" * 1001),
        "categories.0.description_en",
    ),
    "version zero": (lambda d: d.update(version=0), "version"),
    "label not text": (lambda d: d.update(label_en=["a"]), "label_en"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_an_invalid_document_saves_nothing_and_names_the_field(register, case):
    # given: a mapping already in force
    services.define_handling_categories(None, register.municipality, document=pre_r6_document())
    before = copy.deepcopy(_settings(register).handling_categories)
    entries = len(_settings_entries(register))
    change, field = INVALID[case]
    document = pre_r6_document(label_en="Changed")
    change(document)
    # when
    with pytest.raises(ValidationError) as raised:
        services.define_handling_categories(
            register.tenant.lead, register.municipality, document=document
        )
    # then
    assert field in raised.value.message_dict
    assert _settings(register).handling_categories == before
    assert len(_settings_entries(register)) == entries


def test_every_problem_is_reported_at_once(register):
    document = pre_r6_document(label_ja="")
    document["categories"][1]["label_en"] = ""
    del document["mapping"]["availability"]["2"]
    with pytest.raises(ValidationError) as raised:
        services.define_handling_categories(None, register.municipality, document=document)
    assert {"label_ja", "categories.1.label_en", "mapping.availability.2"} <= set(
        raised.value.message_dict
    )


def test_a_document_that_is_not_an_object_is_refused(register):
    with pytest.raises(ValidationError) as raised:
        services.define_handling_categories(None, register.municipality, document=["x"])  # type: ignore[arg-type]
    assert list(raised.value.message_dict) == ["document"]


@pytest.mark.parametrize("who", ["staff", "manager", "auditor", "other_lead"])
def test_only_those_managing_the_whole_register_define_them(register, kofu, who):
    # given: a plain member of staff, a 課's manager, an auditor and another town's lead
    actor = {
        "staff": register.section_staff,
        "manager": register.manager,
        "auditor": register.auditor,
        "other_lead": kofu.lead,
    }[who]
    # when
    with pytest.raises(PermissionDenied):
        services.define_handling_categories(
            actor, register.municipality, document=pre_r6_document()
        )
    with pytest.raises(PermissionDenied):
        services.use_handling_categories(actor, register.municipality, use="example")
    # then
    assert _settings(register).handling_categories == {}
    assert _settings(register).handling_category_map == ""
    assert _settings_entries(register) == []


@pytest.mark.parametrize("who", ["lead", "ciso", "admin"])
def test_the_leads_and_administrators_define_them(register, who):
    actor = {
        "lead": register.tenant.lead,
        "ciso": register.ciso,
        "admin": register.tenant.admin,
    }[who]
    services.define_handling_categories(actor, register.municipality, document=pre_r6_document())
    assert _settings(register).handling_category_map == "tsuru_two"


def test_one_municipalitys_mapping_never_reaches_another(register, kofu):
    # given
    services.define_handling_categories(None, register.municipality, document=pre_r6_document())
    # when
    theirs = services.register_settings(kofu.municipality)
    # then
    assert services.handling_categories_of(theirs) is None
    assert services.handling_categories_state(theirs).own is None


def test_the_map_in_force_may_be_none_the_example_or_the_own(register):
    # given
    m = register.municipality
    services.define_handling_categories(None, m, document=pre_r6_document())
    # when / then
    services.set_handling_category_map(None, m, map_id="three_levels")
    assert services.handling_categories_of(_settings(register)).id == "three_levels"
    assert services.handling_categories_state(_settings(register)).use == "example"
    services.set_handling_category_map(None, m, map_id="")
    assert services.handling_categories_of(_settings(register)) is None
    assert services.handling_categories_state(_settings(register)).use == "none"
    services.set_handling_category_map(None, m, map_id="tsuru_two")
    assert services.handling_categories_of(_settings(register)).id == "tsuru_two"
    assert services.handling_categories_state(_settings(register)).use == "own"
    with pytest.raises(ValidationError) as raised:
        services.set_handling_category_map(None, m, map_id="somebody_elses")
    assert list(raised.value.message_dict) == ["handling_category_map"]
    assert _settings(register).handling_category_map == "tsuru_two"


def test_choosing_the_own_mapping_needs_one(register):
    m = register.municipality
    with pytest.raises(ValidationError) as missing:
        services.use_handling_categories(register.tenant.lead, m, use="own")
    with pytest.raises(ValidationError) as unknown:
        services.use_handling_categories(register.tenant.lead, m, use="mine")
    assert list(missing.value.message_dict) == ["use"]
    assert list(unknown.value.message_dict) == ["use"]
    assert _settings_entries(register) == []
    # once defined, "none" and "own" switch it off and on
    services.define_handling_categories(None, m, document=pre_r6_document())
    services.use_handling_categories(register.tenant.lead, m, use="none")
    assert _settings(register).handling_category_map == ""
    services.use_handling_categories(register.tenant.lead, m, use="own")
    assert _settings(register).handling_category_map == "tsuru_two"


def test_after_a_scheme_change_the_old_mapping_no_longer_applies(register):
    # given: the own pre_r6 mapping in force
    m = register.municipality
    services.define_handling_categories(None, m, document=pre_r6_document())
    # when: the register moves to r6_10
    services.start_migration(None, m)
    moved = _settings(register)
    state = services.handling_categories_state(moved)
    # then: no category applies and the state says why; the old document is kept
    assert moved.scheme == "r6_10"
    assert services.handling_categories_of(moved) is None
    assert state.stale and state.use == "own" and state.own is None
    assert state.own_schemes == ("pre_r6",)
    with pytest.raises(ValidationError):
        services.use_handling_categories(None, m, use="own")
    # a pre_r6 document is refused for the r6_10 register ...
    with pytest.raises(ValidationError) as raised:
        services.define_handling_categories(None, m, document=pre_r6_document(scheme="pre_r6"))
    assert "scheme" in raised.value.message_dict
    # ... and one for r6_10 applies again
    services.define_handling_categories(None, m, document=r6_10_document())
    again = _settings(register)
    assert services.handling_categories_of(again).id == "tsuru_r6"
    assert set(again.handling_categories) == {"pre_r6", "r6_10"}
    assert not services.handling_categories_state(again).stale


def test_the_shipped_example_follows_the_scheme_change(register):
    m = register.municipality
    services.set_handling_category_map(None, m, map_id="three_levels")
    services.start_migration(None, m)
    mapping = services.handling_categories_of(_settings(register))
    assert mapping is not None and mapping.scheme == "r6_10"


# --- the page ---------------------------------------------------------------------------------


def _get(client, user):
    client.force_login(user)
    return client.get(reverse(PAGE), **EN)


def define_form(**overrides: str) -> dict[str, str]:
    """The page's form: two rows (1 strictest) and every pre_r6 class mapped to a row."""
    data = {
        "form": "define",
        "label_ja": "都留市の二区分",
        "label_en": "Tsuru's two categories",
        "c1_id": "closed",
        "c1_label_ja": "非公開",
        "c1_label_en": "Closed",
        "c1_description_ja": "庁内のみ",
        "c1_description_en": "Inside only",
        "c2_id": "",
        "c2_label_ja": "公開",
        "c2_label_en": "Open",
        "c2_description_ja": "公表可",
        "c2_description_en": "May be published",
        "m_confidentiality_3": "1",
        "m_confidentiality_2": "1",
        "m_confidentiality_1": "2",
        "m_integrity_2": "1",
        "m_integrity_1": "2",
        "m_availability_2": "2",
        "m_availability_1": "2",
    }
    data.update(overrides)
    return data


def _post(client, user, data):
    client.force_login(user)
    return client.post(reverse(PAGE), data, **EN)


def test_staff_read_the_mapping_in_force_without_the_forms(client, register):
    # given
    services.define_handling_categories(None, register.municipality, document=pre_r6_document())
    # when
    response = _get(client, register.section_staff)
    # then
    assert response.status_code == 200
    shown = response.context["in_force"]
    assert [c["id"] for c in shown["categories"]] == ["closed", "open"]
    confidentiality = shown["axes"][0]["rows"]
    assert [r["category"] for r in confidentiality] == ["Closed", "Closed", "Open"]
    assert response.context["define_form"] is None and response.context["use_form"] is None
    assert b'name="form"' not in response.content


def test_staff_may_not_post(client, register):
    response = _post(client, register.section_staff, define_form())
    assert response.status_code == 403
    assert _settings(register).handling_categories == {}


def test_a_units_manager_may_read_but_not_change(client, register):
    assert _get(client, register.manager).status_code == 200
    assert _post(client, register.manager, define_form()).status_code == 403
    assert _settings(register).handling_categories == {}


def test_the_lead_starts_from_the_shipped_example(client, register):
    response = _get(client, register.tenant.lead)
    form = response.context["define_form"]
    assert response.context["starts_from_example"] is True
    assert response.context["in_force"] is None
    assert [form.initial[f"c{n}_id"] for n in (1, 2, 3)] == ["strict", "internal", "public"]
    assert form.initial["m_confidentiality_3"] == "1"
    assert form.initial["m_confidentiality_1"] == "3"
    assert form.initial["c1_segments"] == ["mynumber", "lgwan"]


def test_saving_the_form_defines_and_puts_them_in_force(client, register):
    # when
    response = _post(client, register.tenant.lead, define_form())
    # then: row 2's id comes from its row number
    assert response.status_code == 302
    stored = _settings(register)
    document = stored.handling_categories["pre_r6"]
    assert [c["id"] for c in document["categories"]] == ["closed", "category_2"]
    assert document["mapping"]["confidentiality"] == {
        "3": "closed",
        "2": "closed",
        "1": "category_2",
    }
    assert stored.handling_category_map == document["id"]
    after = _get(client, register.tenant.lead)
    assert after.context["in_force"]["id"] == document["id"]
    assert after.context["define_form"].initial["c2_id"] == "category_2"


def test_blank_rows_are_ignored_and_ids_follow_the_row_number(client, register):
    # given: rows 1 and 3 filled, row 2 left empty
    data = define_form(
        c1_id="",
        c2_label_ja="",
        c2_label_en="",
        c2_description_ja="",
        c2_description_en="",
        c3_label_ja="公開",
        c3_label_en="Open",
        c3_description_ja="公表可",
        c3_description_en="May be published",
    )
    data.update({k: "3" for k, v in data.items() if k.startswith("m_") and v == "2"})
    # when
    response = _post(client, register.tenant.lead, data)
    # then
    assert response.status_code == 302
    document = _settings(register).handling_categories["pre_r6"]
    assert [c["id"] for c in document["categories"]] == ["category_1", "category_3"]


def test_an_error_comes_back_next_to_its_field_and_saves_nothing(client, register):
    # when: row 2 lacks its English name, and 機密性3 would be looser than 機密性2
    response = _post(
        client,
        register.tenant.lead,
        define_form(c2_label_en="", m_confidentiality_3="2"),
    )
    # then
    assert response.status_code == 200
    form = response.context["define_form"]
    assert "c2_label_en" in form.errors
    assert "m_confidentiality_3" in form.errors
    assert _settings(register).handling_categories == {}
    assert _settings_entries(register) == []


def test_a_blank_name_is_reported_with_the_other_problems(client, register):
    response = _post(client, register.tenant.lead, define_form(label_en=" ", c1_description_ja=""))
    assert response.status_code == 200
    assert {"label_en", "c1_description_ja"} <= set(response.context["define_form"].errors)
    assert _settings(register).handling_categories == {}


def test_too_few_categories_is_an_error_above_the_rows(client, register):
    data = define_form(c2_label_ja="", c2_label_en="", c2_description_ja="", c2_description_en="")
    data.update({k: "1" for k in data if k.startswith("m_")})
    response = _post(client, register.tenant.lead, data)
    assert response.status_code == 200
    assert response.context["define_form"].non_field_errors()
    assert _settings(register).handling_categories == {}


def test_choosing_an_empty_row_is_an_error_on_that_select(client, register):
    response = _post(client, register.tenant.lead, define_form(m_availability_2="5"))
    assert response.status_code == 200
    assert "m_availability_2" in response.context["define_form"].errors
    assert _settings(register).handling_categories == {}


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"form": "define", "m_confidentiality_3": "9"},
        {"form": "define", "c1_label_ja": "x" * 5000},
        {"form": "define", "c1_segments": "nowhere"},
        {"form": "use"},
        {"form": "use", "use": "everything"},
    ],
)
def test_garbage_comes_back_as_errors_never_a_server_error(client, register, data):
    response = _post(client, register.tenant.lead, data)
    assert response.status_code == 200
    assert _settings_entries(register) == []


def test_choosing_the_example_and_back_to_none(client, register):
    lead = register.tenant.lead
    assert _post(client, lead, {"form": "use", "use": "example"}).status_code == 302
    assert _settings(register).handling_category_map == "three_levels"
    assert _post(client, lead, {"form": "use", "use": "none"}).status_code == 302
    assert _settings(register).handling_category_map == ""
    assert len(_settings_entries(register)) == 2


def test_the_own_choice_is_offered_only_once_defined(client, register):
    lead = register.tenant.lead
    choices = dict(_get(client, lead).context["use_form"].fields["use"].choices)
    assert set(choices) == {"none", "example"}
    refused = _post(client, lead, {"form": "use", "use": "own"})
    assert refused.status_code == 200 and "use" in refused.context["use_form"].errors
    services.define_handling_categories(None, register.municipality, document=pre_r6_document())
    choices = dict(_get(client, lead).context["use_form"].fields["use"].choices)
    assert set(choices) == {"none", "example", "own"}


def test_the_asset_page_shows_the_own_category(client, register):
    # given: 機密性2 maps to 'closed' in the own mapping
    services.define_handling_categories(None, register.municipality, document=pre_r6_document())
    client.force_login(register.manager)
    # when
    response = client.get(reverse("assets:asset_detail", args=[register.asset.pk]), **EN)
    # then
    category = response.context["handling"]["category"]
    assert category["label"] == "Closed"
    assert category["map"] == "Tsuru's two categories"


def test_after_a_scheme_change_the_page_says_none_applies(client, register):
    # given
    services.define_handling_categories(None, register.municipality, document=pre_r6_document())
    services.start_migration(None, register.municipality)
    # when
    page = _get(client, register.tenant.lead)
    detail = _get_detail(client, register)
    # then
    assert page.context["state"].stale
    assert page.context["in_force"] is None
    assert b'data-testid="handling-stale"' in page.content
    assert detail.context["handling"]["category"] is None
    # the form now asks for the r6_10 classes, starting from the r6_10 example
    form = page.context["define_form"]
    assert "m_confidentiality_3A" in form.fields and "m_confidentiality_3" not in form.fields


def _get_detail(client, register):
    client.force_login(register.manager)
    return client.get(reverse("assets:asset_detail", args=[register.asset.pk]), **EN)


def test_the_register_list_links_to_the_page(client, register):
    response = _get_list(client, register.section_staff)
    assert reverse(PAGE).encode() in response.content


def _get_list(client, user):
    client.force_login(user)
    return client.get(reverse("assets:asset_list"), **EN)


# --- the API ----------------------------------------------------------------------------------


class Api:
    """Calls the 取扱区分 API as one user, in English."""

    def __init__(self, client, user):
        self.client = client
        raw = core_services.issue_api_token(user, name="t")[1]
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def get(self, **params):
        return self.client.get(reverse("api:get_handling_categories"), params, **self.headers)

    def put(self, body):
        return self.client.put(
            reverse("api:put_handling_categories"),
            json.dumps(body),
            content_type="application/json",
            **self.headers,
        )


def test_api_reads_what_is_in_force(client, register):
    # given
    services.define_handling_categories(None, register.municipality, document=pre_r6_document())
    # when
    body = Api(client, register.section_staff).get().json()
    # then
    assert body["municipality_id"] == register.municipality.pk
    assert body["use"] == "own" and body["scheme"] == "pre_r6" and not body["stale"]
    assert body["in_force"]["id"] == "tsuru_two"
    assert body["in_force"]["mapping"]["integrity"] == {"2": "closed", "1": "open"}
    assert body["own"]["categories"][0]["segments"] == ["mynumber", "lgwan"]
    assert body["own_schemes"] == ["pre_r6"]


def test_api_defines_the_own_mapping(client, register):
    # when
    response = Api(client, register.tenant.lead).put({"document": pre_r6_document()})
    # then
    assert response.status_code == 200, response.content
    assert response.json()["use"] == "own"
    assert response.json()["in_force"]["version"] == 1
    assert _settings(register).handling_category_map == "tsuru_two"
    assert len(_settings_entries(register)) == 1


def test_api_chooses_the_example_and_none(client, register):
    api = Api(client, register.tenant.admin)
    example = api.put({"use": "example"})
    assert example.status_code == 200 and example.json()["in_force"]["id"] == "three_levels"
    none = api.put({"use": "none"})
    assert none.status_code == 200 and none.json()["in_force"] is None
    assert _settings(register).handling_category_map == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"document": pre_r6_document(label_ja="")}, "document.label_ja"),
        (
            {"document": {**pre_r6_document(), "categories": pre_r6_document()["categories"][:1]}},
            "document.categories",
        ),
        (
            {"document": {k: v for k, v in pre_r6_document().items() if k != "mapping"}},
            "document.mapping",
        ),
        ({"document": pre_r6_document(id="Bad Id")}, "document.id"),
        ({"use": "own"}, "use"),
        ({"use": "mine"}, "use"),
        ({"use": "example", "document": pre_r6_document()}, "use"),
        ({}, "__all__"),
        ({"document": pre_r6_document(), "extra": 1}, "extra"),
    ],
)
def test_api_errors_are_field_keyed_and_save_nothing(client, register, body, field):
    response = Api(client, register.tenant.lead).put(body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert _settings(register).handling_categories == {}
    assert _settings_entries(register) == []


def test_api_service_errors_carry_the_document_prefix(client, register):
    document = pre_r6_document()
    document["mapping"]["confidentiality"]["3"] = "open"
    response = Api(client, register.tenant.lead).put({"document": document})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["document.mapping.confidentiality.3"]


def test_api_refuses_those_who_do_not_manage_the_whole_register(client, register):
    for user in (register.section_staff, register.manager):
        response = Api(client, user).put({"document": pre_r6_document()})
        assert response.status_code == 403
    assert _settings(register).handling_categories == {}


def test_api_never_reads_or_changes_another_municipalitys_settings(client, register, kofu):
    # given: 都留市 has its own mapping; 甲府市's lead names 都留市
    services.define_handling_categories(None, register.municipality, document=pre_r6_document())
    api = Api(client, kofu.lead)
    theirs = register.municipality.pk
    # when
    read = api.get(municipality_id=theirs)
    changed = api.put({"municipality_id": theirs, "use": "none"})
    own = api.get()
    # then
    assert read.status_code == 422 and list(read.json()["errors"]) == ["municipality_id"]
    assert changed.status_code == 422 and list(changed.json()["errors"]) == ["municipality_id"]
    assert own.json()["municipality_id"] == kofu.municipality.pk
    assert own.json()["in_force"] is None and own.json()["own"] is None
    assert _settings(register).handling_category_map == "tsuru_two"


def test_api_path_is_not_taken_for_an_asset_id(client, register):
    """``/assets/{asset_id}`` must not swallow ``/assets/handling-categories``."""
    response = Api(client, register.tenant.lead).get()
    assert response.status_code == 200
    assert set(response.json()) >= {"use", "in_force", "own"}
