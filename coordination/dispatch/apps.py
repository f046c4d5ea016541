from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "coordination.dispatch"
    label = "dispatch"
    verbose_name = _("Dispatch")

    def ready(self) -> None:
        # Connect to what the issues app announces; Django's documented place for it, and
        # the one import here that may not sit at the top (the app registry must be ready).
        from issues.selectors import tracking_facts_register

        from . import receivers  # noqa: F401
        from .learning_hooks import connect
        from .selectors import expected_deadline_expressions

        connect()
        # The tracking page reads the expected deadline in the issue's own statement.
        tracking_facts_register(expected_deadline_expressions)
