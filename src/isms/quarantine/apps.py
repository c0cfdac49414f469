from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuarantineConfig(AppConfig):
    name = "isms.quarantine"
    label = "quarantine"
    verbose_name = _("Sanitisation and quarantine")
