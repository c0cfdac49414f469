from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "isms.assets"
    label = "assets"
    verbose_name = _("Information asset register")

    def ready(self) -> None:
        # Registers the register's importer with core's background imports (worker too).
        from . import io  # noqa: F401
