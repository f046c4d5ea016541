from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Coordination")

    def ready(self) -> None:
        # Listen to the events the issues app announces (issues never imports coordination).
        from . import receivers  # noqa: F401
