"""Forms of the incident pages: they parse and label input; the services decide.

Assets are named by 管理番号 and people by 職員番号, never picked from a list of the whole
register or staff. A service's field-keyed ``ValidationError`` lands next to the field.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from isms.core.forms import ServiceErrorsMixin
from isms.risks.models import ThreatCategory

from .evidence import MAX_BYTES
from .models import ExternalReport, Incident, TimelineEntry
from .services import PUBLIC_TEXT_MAX, TEXT_MAX, TITLE_MAX

MAX_ASSET_NUMBERS = 200
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _when(label: Any, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, input_formats=DATETIME_FORMATS, widget=LocalDateTimeInput(), **kwargs
    )


def _now_local() -> datetime.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class Form(ServiceErrorsMixin, forms.Form):
    pass


class StaffReportForm(Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("What happened"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )
    detected_at = _when(_("When it was noticed"))
    personal_data = forms.BooleanField(label=_("Personal data may be involved"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["detected_at"].initial = _now_local


class PublicReportForm(Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("What happened"),
        max_length=PUBLIC_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Do not write passwords or other people's personal data here."),
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=100, required=False)
    contact = forms.CharField(
        label=_("How to reach you (optional)"), max_length=200, required=False
    )
    attachment = forms.FileField(
        label=_("Attachment (optional)"),
        required=False,
        help_text=_("PDF, image, text or mail, at most %(max)d MB.")
        % {"max": MAX_BYTES // (1024 * 1024)},
    )
    # The honeypot: hidden from people by the stylesheet, filled by robots.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    started = forms.CharField(widget=forms.HiddenInput, required=False)


class StatusForm(Form):
    confirmation = forms.CharField(label=_("Confirmation number"), max_length=40)


class TriageForm(Form):
    is_incident = forms.TypedChoiceField(
        label=_("Is it an incident?"),
        choices=[("yes", _("Yes, an incident")), ("no", _("No, not an incident"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=[("", "---------"), *Incident.Severity.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind of incident"),
        choices=[("", "---------"), *Incident.Kind.choices],
        required=False,
    )
    threat_category = forms.ChoiceField(
        label=_("Threat category (基本方針 2.3)"),
        choices=[("", "---------"), *ThreatCategory.choices],
        required=False,
    )
    asset_numbers = forms.CharField(
        label=_("Affected assets (asset numbers)"),
        required=False,
        max_length=MAX_ASSET_NUMBERS * 40,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One asset number a line, or separated by commas."),
    )
    personal_data = forms.BooleanField(label=_("Personal data involved"), required=False)
    persons_affected = forms.IntegerField(
        label=_("Number of persons affected"), min_value=0, max_value=10**9, initial=0
    )
    involves_sensitive_data = forms.BooleanField(
        label=_("Sensitive personal information (要配慮個人情報)"), required=False
    )
    involves_ordinance_sensitive_data = forms.BooleanField(
        label=_("Sensitive information under an ordinance (条例要配慮個人情報)"), required=False
    )
    risk_of_financial_damage = forms.BooleanField(
        label=_("Risk of financial damage through misuse"), required=False
    )
    unauthorised_purpose = forms.BooleanField(
        label=_("Possibly for an unauthorised purpose (attack, theft)"), required=False
    )
    involves_my_number = forms.BooleanField(
        label=_("Specific personal information (特定個人情報)"), required=False
    )
    is_serious_situation = forms.BooleanField(
        label=_("Serious situation (重大な事態, My Number Act)"), required=False
    )
    note = forms.CharField(
        label=_("Triage note"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_asset_numbers(self) -> str:
        from isms.risks.forms import split_codes

        text: str = self.cleaned_data.get("asset_numbers") or ""
        count = len(split_codes(text))
        if count > MAX_ASSET_NUMBERS:
            raise forms.ValidationError(
                _("Too many assets (%(n)d; at most %(max)d). Name the assets affected most.")
                % {"n": count, "max": MAX_ASSET_NUMBERS}
            )
        return text


class PpcDecisionForm(Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Incident.PpcDecision.REPORT, _("Report to the PPC")),
            (Incident.PpcDecision.NO_REPORT, _("No report to the PPC")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (required when overriding the suggestion)"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExternalReportForm(Form):
    target = forms.ChoiceField(label=_("Reported to"), choices=ExternalReport.Target.choices)
    kind = forms.ChoiceField(label=_("Kind of report"), choices=ExternalReport.Kind.choices)
    reported_on = forms.DateField(
        label=_("Reported on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(label=_("Reference"), required=False, max_length=200)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PublicationForm(Form):
    publication = forms.ChoiceField(
        label=_("Publication (公表)"),
        choices=[
            (Incident.Publication.PUBLISH, _("Publish")),
            (Incident.Publication.NOT_PUBLISH, _("Do not publish")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (公表基準)"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class TimelineForm(Form):
    kind = forms.ChoiceField(label=_("Kind of action"), choices=TimelineEntry.Kind.choices)
    occurred_at = _when(_("Time of the event"))
    text = forms.CharField(
        label=_("What was done"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    done_by = forms.CharField(
        label=_("Who did it (employee number; empty: you)"), required=False, max_length=20
    )
    attachment = forms.FileField(label=_("Evidence (optional)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = _now_local


class CloseForm(Form):
    root_cause = forms.CharField(
        label=_("Root cause"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    review = forms.CharField(
        label=_("Closure review"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    action_title = forms.CharField(
        label=_("Corrective action (optional)"), required=False, max_length=200
    )
    action_owner = forms.CharField(
        label=_("Person responsible (employee number)"), required=False, max_length=20
    )
    action_due = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class SettingsForm(Form):
    contact_point_name = forms.CharField(label=_("Unified contact point"), max_length=200)
    contact_point_email = forms.EmailField(
        label=_("Mail address of the contact point"), required=False
    )
    ack_business_hours = forms.IntegerField(
        label=_("Business hours to acknowledge a report"), min_value=1, max_value=80
    )
    progress_business_days = forms.IntegerField(
        label=_("Business days without progress before escalation"), min_value=1, max_value=60
    )
    public_min_seconds = forms.IntegerField(
        label=_("Minimum seconds to fill in the public form"), min_value=0, max_value=120
    )
    public_per_address_hour = forms.IntegerField(
        label=_("Public reports per address and hour"), min_value=1, max_value=100
    )
    public_per_municipality_hour = forms.IntegerField(
        label=_("Public reports per hour in all"), min_value=1, max_value=10000
    )
