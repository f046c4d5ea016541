from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Organisations and areas")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .receivers import remember_language

        user_logged_in.connect(remember_language, dispatch_uid="agencies.remember_language")
