from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    """The dispatcher as a whole. Its rooms are apps of their own (``coordination.rules``,
    ``.dispatch``, …); this one keeps the migrations that made their tables before the split,
    and the commands that span rooms (``seed_demo``)."""

    name = "coordination"
    verbose_name = _("Coordination")
