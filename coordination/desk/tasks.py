"""The desk's periodic work: reading the hotline's mailbox (beat, on the ``sweeps`` queue)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from platform_gov.celery import RETRIED

from .mailbox import ImapMailbox, mailbox_read


@shared_task(**RETRIED)
def mailbox_sweep() -> int:
    """File the new messages of ``INBOUND_MAIL_URL`` (none configured: nothing to do). Each
    message is filed once by its Message-ID, so a run repeated after a crash files nothing
    twice; a mail server that does not answer fails this run, and the next one reads again."""
    url = settings.INBOUND_MAIL_URL
    if not url:
        return 0
    return mailbox_read(ImapMailbox(url))
