from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboundConfig(AppConfig):
    name = "coordination.outbound"
    label = "outbound"
    verbose_name = _("Messages to people and partners")

    def ready(self) -> None:
        # Mail and webhooks follow the dispatcher's events. Imported here, once the app
        # registry is ready (the subscribers import models): Django's place for it.
        from . import hot
        from .subscribers import connect

        connect()
        hot.connect()
