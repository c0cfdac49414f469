"""The control catalog's services: versions and keys, making current, editing a draft, the
comparison, loading, permissions and tenancy."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from isms.core.models import JournalEntry
from isms.policy import services
from isms.policy.models import Control, ControlStandard
from isms.policy.services import ControlRow, SectionRow


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


SECTIONS = [SectionRow("4", "物理的セキュリティ"), SectionRow("4.1", "サーバ等の管理")]


def _rows(**changed: str) -> list[ControlRow]:
    texts = {"4.1.1": "サーバを施錠した部屋に置く", "4.1.2": "UPSを備える", "4.1.3": "配線を守る"}
    texts.update(changed)
    return [
        ControlRow(code=code, section="4.1", requirement=text, roles=["system_manager"])
        for code, text in texts.items()
        if text
    ]


def _version(actor, t, version="1", previous=None, **changed):  # type: ignore[no-untyped-def]
    return services.create_version(
        actor,
        t.municipality,
        version=version,
        title="対策基準",
        sections=SECTIONS,
        controls=_rows(**changed),
        previous=previous,
    )


def test_a_new_version_keeps_the_keys_of_unchanged_controls(tsuru):
    # given
    v1 = _version(tsuru.lead, tsuru)
    services.make_current(tsuru.lead, v1)
    # when: 4.1.2 changes, 4.1.3 is removed, 4.1.4 is added
    v2 = _version(tsuru.lead, tsuru, "2", v1, **{"4.1.2": "UPSと発電機を備える", "4.1.3": ""})
    v2 = services.create_version(
        tsuru.lead,
        tsuru.municipality,
        version="3",
        title="対策基準",
        sections=SECTIONS,
        controls=[
            *_rows(**{"4.1.2": "UPSと発電機を備える", "4.1.3": ""}),
            ControlRow(code="4.1.4", section="4.1", requirement="新しい項目"),
        ],
        previous=v1,
    )
    # then
    old = {c.code: c for c in v1.controls.all()}
    new = {c.code: c for c in v2.controls.all()}
    assert new["4.1.1"].key == old["4.1.1"].key and new["4.1.1"].replaces is None
    assert new["4.1.2"].key != old["4.1.2"].key and new["4.1.2"].replaces == old["4.1.2"].key
    assert new["4.1.4"].replaces is None and new["4.1.4"].key not in {c.key for c in old.values()}
    comparison = services.compare(v1, v2)
    assert [c.code for c in comparison.unchanged] == ["4.1.1"]
    assert [(a.code, b.code) for a, b in comparison.changed] == [("4.1.2", "4.1.2")]
    assert [c.code for c in comparison.added] == ["4.1.4"]
    assert [c.code for c in comparison.removed] == ["4.1.3"]
    assert not v2.is_current


def test_the_keys_do_not_care_about_role_order_or_an_explicit_staff(tsuru):
    v1 = services.create_version(
        None,
        tsuru.municipality,
        version="1",
        title="t",
        sections=SECTIONS,
        controls=[ControlRow(code="4.1.1", section="4.1", requirement="x", roles=[])],
    )
    v2 = services.create_version(
        None,
        tsuru.municipality,
        version="2",
        title="t",
        sections=SECTIONS,
        previous=v1,
        controls=[ControlRow(code="4.1.1", section="4.1", requirement="x", roles=["staff"])],
    )
    assert v2.controls.get().key == v1.controls.get().key


def test_make_current_leaves_one_current_version_and_is_journaled(tsuru):
    v1 = _version(tsuru.lead, tsuru)
    services.make_current(tsuru.lead, v1)
    v2 = services.copy_as_draft(tsuru.lead, v1, version="2")
    # when
    services.make_current(tsuru.admin, v2)
    # then
    assert list(ControlStandard.objects.filter(is_current=True)) == [v2]
    assert services.current_standard(tsuru.municipality) == v2
    entry = JournalEntry.objects.filter(action="control_standard.make_current").last()
    assert entry.after == {"current": "2"} and entry.before == {"current": "1"}


def test_the_current_version_is_never_edited_in_place(tsuru):
    v1 = _version(tsuru.lead, tsuru)
    services.make_current(tsuru.lead, v1)
    control = v1.controls.get(code="4.1.1")
    with pytest.raises(ValidationError) as exc:
        services.update_control(tsuru.lead, control, requirement="書き換え")
    assert "never edited in place" in str(exc.value)
    control.refresh_from_db()
    assert control.requirement == "サーバを施錠した部屋に置く"


def test_editing_a_draft_gives_a_changed_control_a_new_key_once(tsuru):
    v1 = _version(tsuru.lead, tsuru)
    services.make_current(tsuru.lead, v1)
    draft = services.copy_as_draft(tsuru.lead, v1, version="2")
    control = draft.controls.get(code="4.1.1")
    old_key = control.key
    # when: only the key-item flag changes, then the text, then the text again
    control = services.update_control(tsuru.lead, control, is_key_item=True)
    assert control.key == old_key
    control = services.update_control(tsuru.lead, control, requirement="常に施錠する")
    first_new = control.key
    control = services.update_control(tsuru.lead, control, requirement="常に施錠し記録する")
    # then
    assert first_new != old_key and control.replaces == old_key and control.key == first_new
    assert v1.controls.get(code="4.1.1").key == old_key
    assert JournalEntry.objects.filter(action="control.update").count() == 3
    history = services.control_history(v1.controls.get(code="4.1.1"))
    assert [c.standard.version for c in history] == ["1", "2"]


def test_bad_rows_are_refused_and_nothing_is_saved(tsuru):
    rows = [
        ControlRow(code="4.1.1", section="4.1", requirement="a"),
        ControlRow(code="4.1.1", section="4.1", requirement="b"),
        ControlRow(code="4.9.1", section="4.9", requirement="c"),
        ControlRow(code="4.1.3", section="4.1", requirement=""),
        ControlRow(code="4.1.4", section="4.1", requirement="d", roles=["mayor"]),
        ControlRow(code="4.1.5", section="4.1", requirement="e", segments=["cloud"]),
        ControlRow(code="4.1.6", section="4.1", requirement="f", classes=["C9"]),
        ControlRow(code="4.1.7", section="4.1", requirement="x" * 4001),
    ]
    with pytest.raises(ValidationError) as exc:
        services.create_version(
            tsuru.lead,
            tsuru.municipality,
            version="1",
            title="t",
            sections=SECTIONS,
            controls=rows,
        )
    text = " ".join(exc.value.message_dict["controls"])
    for part in ("appears twice", "4.9", "requirement", "mayor", "cloud", "C9", "4000"):
        assert part in text
    assert (
        not ControlStandard.objects.exists()
        and not JournalEntry.objects.filter(action__startswith="control").exists()
    )


def test_a_version_name_is_used_once(tsuru):
    _version(tsuru.lead, tsuru)
    with pytest.raises(ValidationError) as exc:
        _version(tsuru.lead, tsuru)
    assert "version" in exc.value.message_dict


def test_only_managers_write_the_catalog(tsuru):
    with pytest.raises(PermissionDenied):
        _version(tsuru.staff, tsuru)
    v1 = _version(tsuru.admin, tsuru)
    with pytest.raises(PermissionDenied):
        services.make_current(tsuru.staff, v1)
    with pytest.raises(PermissionDenied):
        services.update_control(tsuru.staff, v1.controls.first(), requirement="x")
    assert not v1.is_current


def test_another_municipalitys_lead_cannot_touch_the_catalog(tsuru, kofu):
    v1 = _version(tsuru.lead, tsuru)
    with pytest.raises(PermissionDenied):
        services.make_current(kofu.lead, v1)
    with pytest.raises(PermissionDenied):
        services.update_control(kofu.lead, v1.controls.first(), requirement="x")
    with pytest.raises(ValidationError):
        _version(kofu.lead, kofu, previous=v1)


def test_loading_is_idempotent_and_refuses_other_content_under_the_same_version(tsuru):
    document = {
        "version": "1",
        "title": "対策基準",
        "chapters": [
            {
                "number": "4",
                "title": "物理的セキュリティ",
                "sections": [
                    {
                        "number": "4.1",
                        "title": "サーバ等の管理",
                        "controls": [{"code": "4.1.1", "requirement": "施錠", "roles": ["staff"]}],
                    }
                ],
            }
        ],
    }
    first = services.load_control_standard(None, tsuru.municipality, document)
    again = services.load_control_standard(None, tsuru.municipality, document)
    assert first == again and again.is_current
    assert Control.objects.count() == 1
    document["chapters"][0]["sections"][0]["controls"][0]["requirement"] = "別の内容"
    with pytest.raises(ValidationError):
        services.load_control_standard(None, tsuru.municipality, document)
    document["version"] = "2"
    second = services.load_control_standard(None, tsuru.municipality, document)
    assert not second.is_current and second.previous == first
    assert second.controls.get().replaces == first.controls.get().key
