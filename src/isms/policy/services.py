"""Writes of the policy app."""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from isms.assets.common import FieldErrors
from isms.core import journal
from isms.core.models import Municipality, User
from isms.core.permissions import Action, require

from . import catalog
from .models import BasicPolicy, Control, ControlSection, ControlStandard, PolicySection


def _check_section(i: int, s: Any) -> None:
    if not isinstance(s, dict) or not isinstance(s.get("number"), str) or not s.get("title"):
        raise ValidationError(
            _("Section %(n)s of the basic policy needs a number and a title.") % {"n": i + 1}
        )
    for c in s.get("clauses", []):
        if not isinstance(c, dict) or not isinstance(c.get("paragraphs", []), list):
            raise ValidationError(_("A clause of section %(n)s is malformed.") % {"n": s["number"]})


def load_basic_policy(
    actor: User | None, municipality: Municipality, document: dict[str, Any]
) -> BasicPolicy:
    """Load (or reload) one version of the basic policy from its structured form.

    Idempotent: loading the same version again replaces its sections. The loaded version
    becomes the current one.
    """
    if actor is not None:
        require(actor, Action.MANAGE_MUNICIPALITY, municipality)
    sections = document.get("sections")
    if not isinstance(sections, list) or not sections:
        raise ValidationError(_("The basic policy has no sections."))
    for i, s in enumerate(sections):
        _check_section(i, s)
    with transaction.atomic():
        policy, created = BasicPolicy.objects.get_or_create(
            municipality=municipality,
            version=str(document.get("version", "1")),
            defaults={"title": document.get("title", "")},
        )
        before = None if created else journal.snapshot(policy)
        policy.title = str(document.get("title", policy.title))
        policy.guideline_edition = str(document.get("guideline_edition", ""))
        policy.is_current = True
        policy.save()
        BasicPolicy.objects.filter(municipality=municipality).exclude(pk=policy.pk).update(
            is_current=False
        )
        policy.sections.all().delete()
        PolicySection.objects.bulk_create(
            PolicySection(
                policy=policy,
                number=s["number"],
                title=s["title"],
                paragraphs=list(s.get("paragraphs", [])),
                clauses=list(s.get("clauses", [])),
                position=i,
            )
            for i, s in enumerate(sections)
        )
        after = journal.snapshot(policy)
        after["sections"] = [s["number"] for s in sections]
        journal.record(
            actor=actor,
            action="basic_policy.load",
            obj=policy,
            before=before,
            after=after,
            system="demo" if actor is None else None,
        )
    return policy


def record_policy_review(
    actor: User | None, municipality: Municipality, *, fiscal_year: int, conclusion: str
) -> Any:
    """Record the committee's review of a fiscal year (seed 2.8) with the year's risk analysis.

    The risk analysis is recorded (or brought up to date) in the same transaction, and its
    figures are kept with the review.
    """
    from isms.risks.services import record_analysis

    from .models import PolicyReview

    if actor is not None:
        require(actor, Action.MANAGE_POLICY_REVIEW, municipality=municipality)
    text = (conclusion or "").strip()
    if not text:
        message = _("Write the committee's conclusion: keep the policy, or what to revise.")
        raise ValidationError({"conclusion": message})
    if len(text) > 10000:
        raise ValidationError({"conclusion": _("The text is too long (at most 10000 characters).")})
    with transaction.atomic():
        # The first review of a year has no row to lock: lock the municipality, so that two
        # first records of the same year queue up instead of both inserting.
        list(Municipality.objects.select_for_update().filter(pk=municipality.pk).values("pk"))
        analysis = record_analysis(actor, municipality, fiscal_year=fiscal_year)
        for attempt in range(2):
            review = (
                PolicyReview.objects.select_for_update()
                .filter(municipality=municipality, fiscal_year=fiscal_year)
                .first()
            )
            before = journal.snapshot(review) if review is not None else None
            if review is None:
                review = PolicyReview(municipality=municipality, fiscal_year=fiscal_year)
            review.conclusion = text
            review.analysis = analysis.summary
            review.reviewed_by = actor
            try:
                with transaction.atomic():
                    review.save()
                break
            except IntegrityError:
                # Inserted meanwhile by another request (a database without row locks): update
                # that row instead.
                if attempt:
                    raise
        journal.record(
            actor=actor,
            action="policy_review.record",
            obj=review,
            before=before,
            after=journal.snapshot(review),
        )
    return review


# --- the control catalog (対策基準) ------------------------------------------------------------

MAX_TEXT = 4000
MAX_TITLE = 200
CONTENT_FIELDS = ("requirement", "criteria", "applies_to_roles", "applies_to_segments")
CONTENT_FIELDS += ("applies_to_classes",)
_NUMBER = re.compile(r"^[0-9]{1,2}(\.[0-9A-Za-z]{1,3})?$")
CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-()]{0,19}$")


@dataclass
class SectionRow:
    """A chapter ("4") or section ("4.1") of a catalog being written."""

    number: str
    title: str


@dataclass
class ControlRow:
    """One control of a catalog being written, before it is saved (see :func:`create_version`)."""

    code: str
    section: str
    requirement: str
    criteria: str = ""
    roles: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    guideline_section: str = ""
    confidence: str = "recalled"
    is_key_item: bool = False

    def content(self) -> tuple[Any, ...]:
        """What the control asks: a control whose content is unchanged keeps its key."""
        return _content(self.requirement, self.criteria, self.roles, self.segments, self.classes)


def _content(requirement: str, criteria: str, roles: Any, segments: Any, classes: Any) -> tuple:
    return (
        requirement.strip(),
        criteria.strip(),
        tuple(catalog.ordered("roles", catalog.effective_roles(list(roles)))),
        tuple(catalog.ordered("segments", list(segments))),
        tuple(catalog.ordered("classes", list(classes))),
    )


def _control_content(c: Control) -> tuple:
    return _content(
        c.requirement, c.criteria, c.applies_to_roles, c.applies_to_segments, c.applies_to_classes
    )


def chapter_of(number: str) -> int:
    return int(number.split(".", 1)[0])


def current_standard(municipality: Municipality | int) -> ControlStandard | None:
    """Return the municipality's current 対策基準 version (None if none is current)."""
    mid = municipality.pk if isinstance(municipality, Municipality) else municipality
    return ControlStandard.objects.filter(municipality_id=mid, is_current=True).first()


def check_catalog(
    sections: list[SectionRow], controls: list[ControlRow], *, errors: FieldErrors | None = None
) -> FieldErrors:
    """Check a catalog being written: every message names the section or control and the fix."""
    errors = errors if errors is not None else FieldErrors()
    seen_sections: set[str] = set()
    for s in sections:
        where = _("Section %(number)s") % {"number": s.number or "?"}
        if not _NUMBER.match(s.number or ""):
            errors.add(
                "sections",
                _("%(where)s: the number must look like 4 or 4.1.") % {"where": where},
            )
            continue
        if s.number in seen_sections:
            errors.add("sections", _("%(where)s appears twice.") % {"where": where})
        seen_sections.add(s.number)
        if not s.title.strip() or len(s.title) > MAX_TITLE:
            errors.add(
                "sections",
                _("%(where)s needs a title of at most %(max)s characters.")
                % {"where": where, "max": MAX_TITLE},
            )
    for s in sections:
        if "." in s.number and s.number.split(".")[0] not in seen_sections:
            errors.add(
                "sections",
                _("Section %(number)s: its chapter %(chapter)s is missing.")
                % {"number": s.number, "chapter": s.number.split(".")[0]},
            )
    if not controls:
        errors.add("controls", _("The catalog has no controls."))
    seen_codes: set[str] = set()
    for c in controls:
        where = _("Control %(code)s") % {"code": c.code or "?"}
        if not CODE_PATTERN.match(c.code or ""):
            errors.add(
                "controls",
                _("%(where)s: the ID must be 1–20 letters, digits, dots or hyphens, e.g. 4.1.3.")
                % {"where": where},
            )
        elif c.code in seen_codes:
            errors.add(
                "controls",
                _("%(where)s: the ID appears twice; give each control its own ID.")
                % {"where": where},
            )
        seen_codes.add(c.code)
        if c.section not in seen_sections or "." not in c.section:
            errors.add(
                "controls",
                _("%(where)s: section %(section)s is not a section (like 4.1) of the catalog.")
                % {"where": where, "section": c.section or "?"},
            )
        if not c.requirement.strip():
            errors.add(
                "controls", _("%(where)s: write the requirement (遵守事項).") % {"where": where}
            )
        if len(c.requirement) > MAX_TEXT:
            errors.add(
                "controls",
                _("%(where)s: the requirement is longer than %(max)s characters.")
                % {"where": where, "max": MAX_TEXT},
            )
        if len(c.criteria) > MAX_TEXT:
            errors.add(
                "controls",
                _("%(where)s: the criteria are longer than %(max)s characters.")
                % {"where": where, "max": MAX_TEXT},
            )
        unknown_messages = {
            "roles": _("%(where)s: unknown role(s): %(names)s."),
            "segments": _("%(where)s: unknown segment(s): %(names)s."),
            "classes": _("%(where)s: unknown class(es): %(names)s."),
        }
        for kind, values in (("roles", c.roles), ("segments", c.segments), ("classes", c.classes)):
            bad = catalog.unknown_codes(kind, list(values))
            if bad:
                errors.add(
                    "controls",
                    unknown_messages[kind] % {"where": where, "names": ", ".join(map(str, bad))},
                )
        if len(c.guideline_section) > 20:
            errors.add(
                "controls",
                _("%(where)s: the guideline section is longer than 20 characters.")
                % {"where": where},
            )
        if c.confidence not in ControlStandard.Confidence.values:
            errors.add(
                "controls",
                _("%(where)s: the confidence must be confirmed, recalled or uncertain.")
                % {"where": where},
            )
    return errors


def _check_header(
    municipality: Municipality, version: str, title: str, errors: FieldErrors
) -> None:
    version = version.strip()
    if not version or len(version) > 20:
        errors.add("version", _("Give the version a name of at most 20 characters."))
    elif ControlStandard.objects.filter(municipality=municipality, version=version).exists():
        errors.add(
            "version",
            _("Version %(version)s already exists; give the new version another name.")
            % {"version": version},
        )
    if not title.strip() or len(title) > MAX_TITLE:
        errors.add("title", _("Give a title of at most %(max)s characters.") % {"max": MAX_TITLE})


def _save_rows(
    standard: ControlStandard,
    sections: list[SectionRow],
    controls: list[ControlRow],
    previous: ControlStandard | None,
) -> dict[str, int]:
    """Write the sections and controls of a new version; keys follow :func:`create_version`."""
    old = {c.code: c for c in previous.controls.all()} if previous is not None else {}
    saved_sections = {}
    for i, s in enumerate(sorted(sections, key=lambda s: _number_key(s.number))):
        saved_sections[s.number] = ControlSection.objects.create(
            standard=standard,
            number=s.number,
            title=s.title.strip(),
            chapter=chapter_of(s.number),
            position=i,
        )
    counts = {"unchanged": 0, "changed": 0, "added": 0}
    rows = []
    for i, c in enumerate(controls):
        before = old.get(c.code)
        replaces = None
        if before is not None and _control_content(before) == c.content():
            key = before.key
            counts["unchanged"] += 1
        else:
            key = uuid.uuid4()
            if before is not None:
                replaces = before.key
                counts["changed"] += 1
            else:
                counts["added"] += 1
        rows.append(
            Control(
                standard=standard,
                section=saved_sections[c.section],
                key=key,
                replaces=replaces,
                code=c.code,
                requirement=c.requirement.strip(),
                criteria=c.criteria.strip(),
                applies_to_roles=catalog.ordered("roles", c.roles),
                applies_to_segments=catalog.ordered("segments", c.segments),
                applies_to_classes=catalog.ordered("classes", c.classes),
                guideline_section=c.guideline_section.strip(),
                confidence=c.confidence,
                is_key_item=bool(c.is_key_item),
                position=i,
            )
        )
    Control.objects.bulk_create(rows)
    counts["removed"] = len(set(old) - {c.code for c in controls}) if previous else 0
    return counts


def _number_key(number: str) -> tuple:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in number.split("."))


def create_version(
    actor: User | None,
    municipality: Municipality,
    *,
    version: str,
    title: str,
    sections: list[SectionRow],
    controls: list[ControlRow],
    previous: ControlStandard | None = None,
    guideline_edition: str = "",
    note: str = "",
    effective_date: datetime.date | None = None,
    source: str = "",
) -> ControlStandard:
    """Create a new, not yet current version (a draft) of the municipality's 対策基準.

    A control with the same ID as in ``previous`` and unchanged content (requirement,
    criteria, roles, segments, classes) keeps its ``key``, so that what is linked to it can be
    followed; a changed control gets a new key and records the one it ``replaces``; a new one
    gets a new key. All or nothing: any error raises ``ValidationError`` and saves nothing.
    """
    capacity = None
    if actor is not None:
        capacity = require(actor, Action.MANAGE_CONTROLS, municipality=municipality)
    if previous is not None and previous.municipality_id != municipality.pk:
        raise ValidationError({"previous": _("The previous version is not this municipality's.")})
    version = version.strip()
    errors = FieldErrors()
    _check_header(municipality, version, title, errors)
    if len(guideline_edition) > 20:
        errors.add("guideline_edition", _("At most 20 characters."))
    check_catalog(sections, controls, errors=errors)
    errors.raise_if_any()
    try:
        return _create_version(
            actor,
            capacity,
            municipality,
            version=version,
            title=title,
            sections=sections,
            controls=controls,
            previous=previous,
            guideline_edition=guideline_edition,
            note=note,
            effective_date=effective_date,
            source=source,
        )
    except IntegrityError:
        # Another request (a double click, a concurrent copy) saved the same version name
        # between the check and the save.
        if not ControlStandard.objects.filter(municipality=municipality, version=version).exists():
            raise
        raise ValidationError(
            {
                "version": _(
                    "Version %(version)s already exists; give the new version another name."
                )
                % {"version": version}
            }
        ) from None


def _create_version(
    actor: User | None,
    capacity: Any,
    municipality: Municipality,
    *,
    version: str,
    title: str,
    sections: list[SectionRow],
    controls: list[ControlRow],
    previous: ControlStandard | None,
    guideline_edition: str,
    note: str,
    effective_date: datetime.date | None,
    source: str,
) -> ControlStandard:
    with transaction.atomic():
        standard = ControlStandard.objects.create(
            municipality=municipality,
            version=version,
            title=title.strip(),
            guideline_edition=guideline_edition,
            effective_date=effective_date,
            note=note,
            previous=previous,
            is_current=False,
        )
        counts = _save_rows(standard, sections, controls, previous)
        after = journal.snapshot(standard)
        after.update(counts, source=source, controls=len(controls))
        journal.record(
            actor=actor,
            action="control_standard.create",
            obj=standard,
            after=after,
            system="loader" if actor is None else None,
            on_behalf_of=capacity.label if capacity is not None else "",
        )
    return standard


def make_current(actor: User | None, standard: ControlStandard) -> ControlStandard:
    """Make ``standard`` the municipality's current 対策基準; the one before stops being current."""
    capacity = None
    if actor is not None:
        capacity = require(actor, Action.MANAGE_CONTROLS, standard)
    with transaction.atomic():
        standard = ControlStandard.objects.select_for_update().get(pk=standard.pk)
        if standard.is_current:
            return standard
        old = (
            ControlStandard.objects.select_for_update()
            .filter(municipality_id=standard.municipality_id, is_current=True)
            .first()
        )
        if old is not None:
            old.is_current = False
            old.save(update_fields=["is_current"])
        standard.is_current = True
        if standard.made_current_at is None:
            standard.made_current_at = timezone.now()
        standard.save(update_fields=["is_current", "made_current_at"])
        journal.record(
            actor=actor,
            action="control_standard.make_current",
            obj=standard,
            before={"current": old.version if old is not None else None},
            after={"current": standard.version},
            system="loader" if actor is None else None,
            on_behalf_of=capacity.label if capacity is not None else "",
        )
    return standard


def rows_of(standard: ControlStandard) -> tuple[list[SectionRow], list[ControlRow]]:
    """Return the sections and controls of a saved version as rows (to copy or export)."""
    sections = [SectionRow(s.number, s.title) for s in standard.sections.all()]
    controls = [
        ControlRow(
            code=c.code,
            section=c.section.number,
            requirement=c.requirement,
            criteria=c.criteria,
            roles=list(c.applies_to_roles),
            segments=list(c.applies_to_segments),
            classes=list(c.applies_to_classes),
            guideline_section=c.guideline_section,
            confidence=c.confidence,
            is_key_item=c.is_key_item,
        )
        for c in standard.controls.select_related("section").order_by("position")
    ]
    return sections, controls


def copy_as_draft(
    actor: User | None, standard: ControlStandard, *, version: str, title: str = ""
) -> ControlStandard:
    """Start a new draft version from ``standard``: the same controls with the same keys."""
    sections, controls = rows_of(standard)
    return create_version(
        actor,
        standard.municipality,
        version=version,
        title=title or standard.title,
        sections=sections,
        controls=controls,
        previous=standard,
        guideline_edition=standard.guideline_edition,
        note=standard.note,
        source="copy",
    )


CURRENT_IS_FROZEN = gettext_lazy(
    "The current version of the control standard is never edited in place: inspection answers, "
    "findings and exceptions refer to it. Make a new draft version, edit it, then make it "
    "current."
)
PAST_IS_FROZEN = gettext_lazy(
    "This version was current before and is kept as it was: inspection answers, findings and "
    "exceptions may refer to it. Make a new draft version from it, edit the draft, then make it "
    "current."
)


def update_control(actor: User | None, control: Control, **changes: Any) -> Control:
    """Edit one control of a draft version (one that has never been current).

    If the content changes and the control still shares its key with another version, it gets
    a new key and records the old one in ``replaces``; the other versions are untouched.
    """
    capacity = None
    if actor is not None:
        capacity = require(actor, Action.MANAGE_CONTROLS, control)
    allowed = {
        "requirement",
        "criteria",
        "applies_to_roles",
        "applies_to_segments",
        "applies_to_classes",
        "guideline_section",
        "confidence",
        "is_key_item",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            {"__all__": _("These fields cannot be changed: %(f)s.") % {"f": ", ".join(unknown)}}
        )
    with transaction.atomic():
        control = (
            Control.objects.select_for_update()
            .select_related("standard", "section")
            .get(pk=control.pk)
        )
        if control.standard.is_current:
            raise ValidationError({"__all__": str(CURRENT_IS_FROZEN)})
        if not control.standard.is_draft:
            raise ValidationError({"__all__": str(PAST_IS_FROZEN)})
        row = ControlRow(
            code=control.code,
            section=control.section.number,
            requirement=str(changes.get("requirement", control.requirement)),
            criteria=str(changes.get("criteria", control.criteria)),
            roles=list(changes.get("applies_to_roles", control.applies_to_roles)),
            segments=list(changes.get("applies_to_segments", control.applies_to_segments)),
            classes=list(changes.get("applies_to_classes", control.applies_to_classes)),
            guideline_section=str(changes.get("guideline_section", control.guideline_section)),
            confidence=str(changes.get("confidence", control.confidence)),
            is_key_item=bool(changes.get("is_key_item", control.is_key_item)),
        )
        errors = check_catalog(
            [SectionRow(control.section.number.split(".")[0], "-"), SectionRow(row.section, "-")],
            [row],
        )
        if errors.by_field:
            raise ValidationError({"__all__": errors.by_field["controls"]})
        before = journal.snapshot(control)
        shared = (
            Control.objects.filter(
                key=control.key, standard__municipality_id=control.standard.municipality_id
            )
            .exclude(pk=control.pk)
            .exists()
        )
        if row.content() != _control_content(control) and shared:
            control.replaces = control.key
            control.key = uuid.uuid4()
        control.requirement = row.requirement.strip()
        control.criteria = row.criteria.strip()
        control.applies_to_roles = catalog.ordered("roles", row.roles)
        control.applies_to_segments = catalog.ordered("segments", row.segments)
        control.applies_to_classes = catalog.ordered("classes", row.classes)
        control.guideline_section = row.guideline_section.strip()
        control.confidence = row.confidence
        control.is_key_item = row.is_key_item
        control.save()
        journal.record(
            actor=actor,
            action="control.update",
            obj=control,
            municipality=control.standard.municipality_id,
            before=before,
            after=journal.snapshot(control),
            on_behalf_of=capacity.label if capacity is not None else "",
        )
    return control


def _rows_from_document(data: dict[str, Any]) -> tuple[list[SectionRow], list[ControlRow]]:
    """Read the YAML form (``chapters`` → ``sections`` → ``controls``) into rows."""
    chapters = data.get("chapters")
    if not isinstance(chapters, list) or not chapters:
        raise ValidationError({"chapters": _("The control standard has no chapters.")})
    sections: list[SectionRow] = []
    controls: list[ControlRow] = []
    for ch in chapters:
        if not isinstance(ch, dict):
            raise ValidationError({"chapters": _("A chapter is malformed.")})
        sections.append(SectionRow(str(ch.get("number", "")), str(ch.get("title", ""))))
        for s in ch.get("sections") or []:
            if not isinstance(s, dict):
                raise ValidationError({"chapters": _("A section is malformed.")})
            number = str(s.get("number", ""))
            sections.append(SectionRow(number, str(s.get("title", ""))))
            default_gl = str(s.get("guideline_section", number))
            for c in s.get("controls") or []:
                if not isinstance(c, dict):
                    raise ValidationError({"controls": _("A control is malformed.")})
                controls.append(
                    ControlRow(
                        code=str(c.get("code", "")),
                        section=number,
                        requirement=str(c.get("requirement", "")),
                        criteria=str(c.get("criteria", "") or ""),
                        roles=[str(r) for r in c.get("roles") or []],
                        segments=[str(r) for r in c.get("segments") or []],
                        classes=[str(r) for r in c.get("classes") or []],
                        guideline_section=str(c.get("guideline_section", default_gl)),
                        confidence=str(c.get("confidence", "recalled")),
                        is_key_item=bool(c.get("key_item", False)),
                    )
                )
    return sections, controls


def load_control_standard(
    actor: User | None, municipality: Municipality, data: dict[str, Any]
) -> ControlStandard:
    """Load a version of the 対策基準 from its YAML form (``data/<name>/control_standard.yaml``).

    Idempotent: if the version exists with the same content nothing changes. A new version is
    made from the current one (keys carried over as in :func:`create_version`) and becomes
    current if no version is current yet. An existing version with other content is refused.
    """
    if actor is not None:
        require(actor, Action.MANAGE_CONTROLS, municipality=municipality)
    sections, controls = _rows_from_document(data)
    version = str(data.get("version", "1"))
    existing = ControlStandard.objects.filter(municipality=municipality, version=version).first()
    if existing is not None:
        have_sections, have_controls = rows_of(existing)
        if [(s.number, s.title.strip()) for s in have_sections] == [
            (s.number, s.title.strip()) for s in sections
        ] and [_row_tuple(c) for c in have_controls] == [_row_tuple(c) for c in controls]:
            return existing
        raise ValidationError(
            {
                "version": _(
                    "Version %(version)s is already loaded with other content; "
                    "give the changed catalog a new version."
                )
                % {"version": version}
            }
        )
    with transaction.atomic():
        standard = create_version(
            actor,
            municipality,
            version=version,
            title=str(data.get("title", "")),
            sections=sections,
            controls=controls,
            previous=current_standard(municipality),
            guideline_edition=str(data.get("guideline_edition", "")),
            note=str(data.get("note", "")),
            source="load",
        )
        if current_standard(municipality) is None:
            make_current(actor, standard)
            standard.refresh_from_db()
    return standard


def _row_tuple(c: ControlRow) -> tuple:
    return (
        c.code,
        c.section,
        c.content(),
        c.guideline_section.strip(),
        c.confidence,
        bool(c.is_key_item),
    )


@dataclass
class Comparison:
    """What changed between two versions of the 対策基準, by control key."""

    added: list[Control]
    changed: list[tuple[Control, Control]]  # (older, newer)
    removed: list[Control]
    unchanged: list[Control]


def compare(older: ControlStandard, newer: ControlStandard) -> Comparison:
    """Compare two versions: a control is unchanged if its key is in both, changed if the newer
    one replaces a key of the older, else added (only in the newer) or removed."""
    a = {c.key: c for c in older.controls.select_related("section").order_by("position")}
    b = list(newer.controls.select_related("section").order_by("position"))
    by_code = {c.code: c for c in a.values()}
    added, changed, unchanged = [], [], []
    matched: set[uuid.UUID] = set()
    for c in b:
        if c.key in a:
            unchanged.append(c)
            matched.add(c.key)
        elif c.replaces in a:
            changed.append((a[c.replaces], c))
            matched.add(c.replaces)  # type: ignore[arg-type]
        elif c.code in by_code and by_code[c.code].key not in matched:
            # Versions not made one from the other: the same ID is the same control.
            old = by_code[c.code]
            if _control_content(old) == _control_content(c):
                unchanged.append(c)
            else:
                changed.append((old, c))
            matched.add(old.key)
        else:
            added.append(c)
    removed = [c for k, c in a.items() if k not in matched]
    return Comparison(added=added, changed=changed, removed=removed, unchanged=unchanged)


def control_history(control: Control) -> list[Control]:
    """The same control across the municipality's versions, oldest first: the versions that
    share its key, and those linked by ``replaces`` before and after it."""
    mid = control.standard.municipality_id
    qs = Control.objects.filter(standard__municipality_id=mid).select_related("standard")
    keys = {control.key}
    frontier = {control.key}
    if control.replaces:
        frontier.add(control.replaces)
        keys.add(control.replaces)
    for _step in range(50):  # a chain of replacements, bounded
        linked = set(
            qs.filter(models.Q(key__in=frontier) | models.Q(replaces__in=frontier)).values_list(
                "key", "replaces"
            )
        )
        found = {k for pair in linked for k in pair if k is not None} - keys
        if not found:
            break
        keys |= found
        frontier = found
    return list(qs.filter(key__in=keys).order_by("standard__created_at", "standard_id"))
