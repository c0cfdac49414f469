"""Search and release forms of the quarantine pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from isms.sanitizer import ReasonCode

from .models import QuarantinedMessage


def _reason_choices() -> list[tuple[str, str]]:
    return [("", _("any reason"))] + [(str(c), f"{c.text_ja} ({c})") for c in ReasonCode]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Sender or subject"), required=False, max_length=200)
    verdict = forms.ChoiceField(
        label=_("Verdict"),
        required=False,
        choices=[("", _("any verdict")), *QuarantinedMessage.Verdict.choices],
    )
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=_reason_choices)
    date_from = forms.DateField(label=_("From (date)"), required=False)
    date_to = forms.DateField(label=_("To (date)"), required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:  # type: ignore[operator]
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
