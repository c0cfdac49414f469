"""The form of the plan's draft: lists as one item a line, other contacts as ``|`` columns."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from isms.core.forms import ServiceErrorsMixin
from isms.core.roles import Role

from . import contacts
from .services import CONTACT_CATEGORIES, LIST_FIELDS

SEPARATORS = ("|", "｜")
CONTACT_COLUMNS = ("category", "name", "phone", "email", "note")
MAX_LINES = 200


def lines(text: str) -> list[str]:
    """The non-empty lines of ``text``, stripped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _category(value: str) -> str | None:
    value = value.strip()
    if not value:
        return "other"
    if value in CONTACT_CATEGORIES:
        return value
    for code, label in CONTACT_CATEGORIES.items():
        for lang in ("ja", "en"):
            with translation.override(lang):
                if value == str(label):
                    return code
    return None


def parse_contact_lines(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """Read ``区分 | 名称 | 電話 | メール | 備考`` lines; return (contacts, errors by line).

    Never raises: every problem is a message naming the line and how to fix it.
    """
    found: list[dict[str, str]] = []
    errors: list[str] = []
    rows = [line for line in (text or "").splitlines()]
    if len(rows) > MAX_LINES:
        return [], [_("Give at most %(max)d lines.") % {"max": MAX_LINES}]
    for n, raw in enumerate(rows, start=1):
        line = raw.strip()
        if not line:
            continue
        for sep in SEPARATORS[1:]:
            line = line.replace(sep, SEPARATORS[0])
        cells = [c.strip() for c in line.split(SEPARATORS[0])]
        if len(cells) < 3 or len(cells) > len(CONTACT_COLUMNS):
            errors.append(
                _(
                    "Line %(n)d: write category | name | telephone | e-mail | note "
                    "(at least the first three columns, separated by |)."
                )
                % {"n": n}
            )
            continue
        cells += [""] * (len(CONTACT_COLUMNS) - len(cells))
        row = dict(zip(CONTACT_COLUMNS, cells, strict=True))
        category = _category(row["category"])
        if category is None:
            errors.append(
                _("Line %(n)d: unknown category %(category)s. Use one of: %(choices)s.")
                % {
                    "n": n,
                    "category": row["category"],
                    "choices": ", ".join(str(v) for v in CONTACT_CATEGORIES.values()),
                }
            )
            continue
        row["category"] = category
        found.append(row)
    return found, errors


def format_contact_lines(rows: list[dict[str, str]]) -> str:
    """The contacts as the form shows them (the inverse of :func:`parse_contact_lines`)."""
    out = []
    for row in rows:
        label = str(CONTACT_CATEGORIES.get(row.get("category", ""), row.get("category", "")))
        cells = [label] + [row.get(k, "") for k in CONTACT_COLUMNS[1:]]
        while len(cells) > 3 and not cells[-1]:
            cells.pop()
        out.append(" | ".join(cells))
    return "\n".join(out)


def role_choices(labels: dict[str, str]) -> list[tuple[str, str]]:
    """The roles a tree may cover: the reporting chain first, then the others."""
    order = list(contacts.DEFAULT_ROLES) + [
        r for r in Role.values if r not in contacts.DEFAULT_ROLES
    ]
    return [(r, labels.get(r, r)) for r in order]


def _lines_field(label: Any, help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=help_text,
    )


ONE_A_LINE = gettext_lazy("One item a line.")


class PlanForm(ServiceErrorsMixin, forms.Form):
    """The whole plan; the service validates it (required sections, roles, review date)."""

    title = forms.CharField(label=capfirst(gettext_lazy("title")), max_length=200, required=False)
    contact_point = forms.CharField(
        label=gettext_lazy("Single point of contact (統一的な窓口)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Who receives incident reports from all units: unit, telephone (extension), e-mail."
        ),
    )
    contact_roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles in the emergency contact tree (緊急連絡網)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "The tree lists who holds these roles on the day, with their deputies, from the "
            "role assignments."
        ),
    )
    extra_contacts = forms.CharField(
        label=gettext_lazy("Other contacts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "One contact a line: category | name | telephone | e-mail | note. Categories: "
            "Inside the municipality, Prefecture, National government (MIC, PPC), Police, "
            "J-LIS and information sharing bodies, Vendor, Other."
        ),
    )
    reporting_items = _lines_field(gettext_lazy("What to report (報告すべき事項)"), ONE_A_LINE)
    steps_contact = _lines_field(gettext_lazy("Steps: contact (連絡)"), ONE_A_LINE)
    steps_evidence = _lines_field(
        gettext_lazy("Steps: evidence preservation (証拠保全)"), ONE_A_LINE
    )
    steps_containment = _lines_field(
        gettext_lazy("Steps: preventing the damage from spreading (被害拡大の防止)"), ONE_A_LINE
    )
    steps_recovery = _lines_field(gettext_lazy("Steps: recovery (復旧)"), ONE_A_LINE)
    recurrence_prevention = forms.CharField(
        label=gettext_lazy("Drawing up recurrence prevention measures (再発防止措置の策定)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    bcp_title = forms.CharField(
        label=gettext_lazy("Business continuity plan (BCP): title"),
        max_length=200,
        required=False,
    )
    bcp_location = forms.CharField(
        label=gettext_lazy("Business continuity plan (BCP): where it is kept"),
        max_length=500,
        required=False,
        help_text=gettext_lazy(
            "A shelf, a file server path or an address on the intranet; it is shown, not fetched."
        ),
    )
    review_due = forms.DateField(
        label=gettext_lazy("Next review"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    change_note = forms.CharField(
        label=gettext_lazy("What changed in this version"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, role_labels: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact_roles"].choices = role_choices(role_labels)  # type: ignore[attr-defined]

    def clean_extra_contacts(self) -> list[dict[str, str]]:
        rows, errors = parse_contact_lines(self.cleaned_data.get("extra_contacts", ""))
        if errors:
            raise ValidationError(errors)
        return rows

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        data: dict[str, Any] = {
            "title": d.get("title", ""),
            "contact_point": d.get("contact_point", ""),
            "contact_roles": list(d.get("contact_roles") or []),
            "extra_contacts": d.get("extra_contacts") or [],
            "recurrence_prevention": d.get("recurrence_prevention", ""),
            "bcp_title": d.get("bcp_title", ""),
            "bcp_location": d.get("bcp_location", ""),
            "review_due": d.get("review_due"),
            "change_note": d.get("change_note", ""),
        }
        for name in LIST_FIELDS:
            data[name] = lines(d.get(name, ""))
        return data

    @staticmethod
    def initial_from(plan: Any, today: datetime.date) -> dict[str, Any]:
        """The form's initial values from a version (the draft, or the plan in force)."""
        if plan is None:
            return {
                "contact_roles": list(contacts.DEFAULT_ROLES),
                "review_due": today + datetime.timedelta(days=365),
            }
        initial: dict[str, Any] = {
            "title": plan.title,
            "contact_point": plan.contact_point,
            "contact_roles": list(plan.contact_roles),
            "extra_contacts": format_contact_lines(plan.extra_contacts),
            "recurrence_prevention": plan.recurrence_prevention,
            "bcp_title": plan.bcp_title,
            "bcp_location": plan.bcp_location,
            "review_due": plan.review_due,
            "change_note": plan.change_note if plan.is_draft else "",
        }
        for name in LIST_FIELDS:
            initial[name] = "\n".join(getattr(plan, name))
        return initial
