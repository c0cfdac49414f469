"""Forms of the network pages: they bind input; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .uploads import MAX_FILES


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field taking several files (the model and its configurations) or one zip."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple) and data:
            if len(data) > MAX_FILES:
                raise forms.ValidationError(_("Upload at most %(max)d files.") % {"max": MAX_FILES})
            return [single(d, initial) for d in data]
        if not data:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        return [single(data, initial)]


class UploadForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("For example: 本庁舎 2026年11月. Empty: the model file's name."),
    )
    files = MultipleFileField(
        label=_("Network model and configurations"),
        help_text=_(
            "The model (model.yaml) and the firewall configurations it names, or one zip "
            "holding them."
        ),
    )


class ExceptionForm(forms.Form):
    sources = forms.CharField(
        label=_("Sources"),
        max_length=2000,
        help_text=_("Addresses or ranges, separated by commas: 172.16.8.0/24, 10.20.1.10"),
    )
    destinations = forms.CharField(
        label=_("Destinations"),
        max_length=2000,
        help_text=_("Addresses or ranges, as delivered (after address translation)."),
    )
    services = forms.CharField(
        label=_("Services"),
        max_length=500,
        help_text=_("Protocol and destination ports: tcp/443, udp/53, tcp/8000-8080, icmp"),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    expires = forms.DateField(
        label=_("Expires"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("At most one year from today."),
    )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when rejecting: say why."),
    )
