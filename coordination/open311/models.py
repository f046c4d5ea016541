"""Keys issued to other systems for Open311 GeoReport v2."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency

# These models were born in the ``coordination`` app and moved here when it was split into
# rooms: their tables, and the names of their constraints, keep the old prefix, so the move
# changed no database (see ``coordination/migrations/0007_rooms.py``).


class ApiKey(models.Model):
    """A key issued to another system for Open311 GeoReport v2 requests.

    Only a SHA-256 hash of the key is stored; the key itself is shown once, when issued
    (``manage.py open311_key create``). ``prefix`` finds the row without scanning hashes.
    """

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="api_keys"
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "coordination_apikey"
        ordering = ["name"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
