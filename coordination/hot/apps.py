from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotConfig(AppConfig):
    name = "coordination.hot"
    label = "hot"
    verbose_name = _("Hot issues and topics")

    def ready(self) -> None:
        # Follow what the issues app announces (a filing) and the dispatcher publishes (a
        # merge); Django's documented place for it, once the app registry is ready.
        from . import receivers  # noqa: F401
