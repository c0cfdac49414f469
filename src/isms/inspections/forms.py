"""Forms of the self-inspection pages (the answer sheet is read from the POST directly)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from isms.core.forms import ScopedChoiceField, ServiceErrorsMixin
from isms.core.models import Municipality, OrgUnit, Person

from .models import TargetGroup


class CampaignForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    fiscal_year = forms.IntegerField(label=_("fiscal year"), min_value=2000, max_value=2100)
    opens_on = forms.DateField(label=_("opens on"), widget=forms.DateInput(attrs={"type": "date"}))
    answer_business_days = forms.IntegerField(
        label=_("business days to answer"),
        min_value=1,
        max_value=120,
        initial=20,
        help_text=_(
            "The deadline is this many business days after opening (土日祝 and 年末年始 skipped)."
        ),
    )
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, fiscal_year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].initial = fiscal_year
        self.fields["opens_on"].initial = timezone.localdate()


class AssignForm(ServiceErrorsMixin, forms.Form):
    target_group = forms.ChoiceField(label=_("target group"), choices=TargetGroup.choices)
    org_unit = ScopedChoiceField(
        label=_("unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Everyone of the unit and of the units below it."),
    )
    person_number = forms.CharField(
        label=_("or one person (employee number)"), max_length=20, required=False
    )

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        # Abolished units are listed too, so that choosing one gets the service's clear message.
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(municipality=municipality)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        number = (data.get("person_number") or "").strip()
        data["person"] = None
        if number:
            data["person"] = Person.objects.filter(
                municipality=self.municipality, employee_number=number
            ).first()
            if data["person"] is None:
                self.add_error("person_number", _("No member of staff has this employee number."))
        return data


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("reason for return"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ImprovementForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200, required=False)
    owner_number = forms.CharField(label=_("owner (employee number)"), max_length=20)
    due_date = forms.DateField(label=_("due date"), widget=forms.DateInput(attrs={"type": "date"}))


class ProgressForm(forms.Form):
    note = forms.CharField(
        label=_("progress"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    done = forms.BooleanField(label=_("done"), required=False)
