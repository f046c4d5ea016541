"""Inbound e-mail: each new message of the hotline's mailbox filed as an issue of channel
e-mail, once per Message-ID, the sender as the contact.

The mailbox is read through a transport with one method, ``messages()`` (raw RFC 822 bytes):
:class:`ImapMailbox` over ``imaplib``, configured by a URL
(``imaps://user:password@host:993/INBOX``; ``imap://`` for plain), reads the unseen messages
and marks them seen; tests pass a fake with the same method.
"""

from __future__ import annotations

import contextlib
import email
import hashlib
import imaplib
from collections.abc import Iterator
from email.policy import default
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from issues.models import Issue
from issues.services import issue_submit

from .models import InboundMail


class ImapMailbox:
    def __init__(self, url: str) -> None:
        self.url = urlsplit(url)

    def messages(self) -> Iterator[bytes]:
        u = self.url
        connect = imaplib.IMAP4_SSL if u.scheme == "imaps" else imaplib.IMAP4
        client = connect(u.hostname, u.port or (993 if u.scheme == "imaps" else 143))
        try:
            client.login(unquote(u.username or ""), unquote(u.password or ""))
            client.select(u.path.strip("/") or "INBOX")
            _status, found = client.search(None, "UNSEEN")
            for number in found[0].split():
                _status, parts = client.fetch(number, "(RFC822)")
                yield parts[0][1]
                client.store(number, "+FLAGS", "\\Seen")
        finally:
            # The messages are read: a failed goodbye is no failure.
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()


def _body(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content().strip() if part is not None else ""


def mail_file(raw: bytes) -> Issue | None:
    """File one message; None when its Message-ID was filed before (or it cannot be filed)."""
    message = email.message_from_bytes(raw, policy=default)
    message_id = (message.get("Message-ID") or "").strip()
    if not message_id:
        message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    message_id = message_id[:300]
    if InboundMail.objects.filter(message_id=message_id).exists():
        return None
    name, address = parseaddr(str(message.get("From", "")))
    subject = str(message.get("Subject", "")).strip() or "(no subject)"
    body = _body(message) or subject
    try:
        with transaction.atomic():
            record = InboundMail.objects.create(message_id=message_id)
            issue = issue_submit(
                title=subject[:200],
                description=body[:5000],
                contact_name=name[:100],
                contact_email=address if "@" in address else "",
                channel=Issue.Channel.EMAIL,
            )
            record.issue = issue
            record.save(update_fields=["issue"])
    except IntegrityError:
        return None  # another reader filed it meanwhile
    except ValidationError:
        InboundMail.objects.get_or_create(message_id=message_id)  # not fileable: never retried
        return None
    return issue


def mailbox_read(mailbox) -> int:
    """File every new message of ``mailbox``; how many issues were filed."""
    filed = 0
    for raw in mailbox.messages():
        filed += mail_file(raw) is not None
    return filed
