from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentPlanConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "isms.incidents.plan"
    label = "incident_plan"
    verbose_name = _("Emergency response plan")
