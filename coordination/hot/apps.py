from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotConfig(AppConfig):
    name = "coordination.hot"
    label = "hot"
    verbose_name = _("Hot issues and topics")

    def ready(self) -> None:
        # Follow what the issues app announces (a filing) and the dispatcher publishes (a
        # merge); Django's documented place for it, once the app registry is ready.
        from issues.selectors import tracking_facts_register

        from . import receivers  # noqa: F401
        from .selectors.public import hot_mark_expressions

        # The tracking page reads an issue's marks in the issue's own statement.
        tracking_facts_register(hot_mark_expressions)
