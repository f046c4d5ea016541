from __future__ import annotations

from django.db import models
from django.utils import timezone


class InboundMail(models.Model):
    """A message read from the hotline's mailbox, by its Message-ID: each is filed once."""

    message_id = models.CharField(max_length=300, unique=True)
    issue = models.ForeignKey(
        "issues.Issue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.message_id
