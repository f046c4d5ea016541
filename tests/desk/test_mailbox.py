"""Inbound e-mail: each message filed once (by Message-ID) as an issue of channel e-mail,
the sender as contact; read through a fake transport with the IMAP mailbox's one method."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from coordination.desk.mailbox import ImapMailbox, mail_file, mailbox_read
from coordination.desk.tasks import mailbox_sweep
from issues.models import Issue

pytestmark = pytest.mark.django_db


def message(subject: str, body: str, message_id: str | None = "<a1@example.org>") -> bytes:
    mail = EmailMessage()
    mail["From"] = "李华 <lihua@example.org>"
    mail["To"] = "12345@qinghe.gov.cn"
    mail["Subject"] = subject
    if message_id:
        mail["Message-ID"] = message_id
    mail.set_content(body)
    return mail.as_bytes()


class FakeMailbox:
    def __init__(self, *raw: bytes) -> None:
        self.raw = raw

    def messages(self):
        yield from self.raw


def test_each_message_is_filed_once_with_channel_email_and_the_sender_as_contact():
    first = message("小区停水三天", "幸福小区3号楼停水三天了，请尽快处理。")
    assert mailbox_read(FakeMailbox(first, first)) == 1
    assert mailbox_read(FakeMailbox(first)) == 0  # read again later: still once
    issue = Issue.objects.get()
    assert issue.channel == Issue.Channel.EMAIL
    assert (issue.title, issue.contact_email, issue.contact_name) == (
        "小区停水三天",
        "lihua@example.org",
        "李华",
    )
    assert "3号楼" in issue.description


def test_a_message_without_message_id_is_known_by_its_content():
    raw = message("路灯坏了", "路灯不亮", message_id=None)
    assert mail_file(raw) is not None
    assert mail_file(raw) is None
    assert mail_file(message("路灯坏了", "另一盏", message_id=None)) is not None


def test_the_imap_mailbox_is_configured_by_url():
    box = ImapMailbox("imaps://hotline%40qinghe:s3cret@mail.example.org:993/INBOX")
    assert (box.url.hostname, box.url.port, box.url.path) == ("mail.example.org", 993, "/INBOX")


def test_the_beat_task_reads_the_configured_mailbox_and_files_each_message_once(
    settings, monkeypatch
):
    # The mail server is outside the platform: its one method is replaced, nothing of ours.
    raw = message("井盖丢失", "和平路口的井盖丢了，很危险。", message_id="<beat-1@example.org>")
    monkeypatch.setattr(ImapMailbox, "messages", lambda self: iter([raw]))
    settings.INBOUND_MAIL_URL = ""
    assert mailbox_sweep() == 0  # no mailbox configured: nothing read
    assert not Issue.objects.exists()

    settings.INBOUND_MAIL_URL = "imaps://hotline:secret@mail.example.org/INBOX"
    assert mailbox_sweep() == 1
    assert mailbox_sweep() == 0  # the same message again (a rerun after a crash): still once
    assert Issue.objects.get().channel == Issue.Channel.EMAIL


def test_the_beat_task_runs_on_the_sweeps_queue():
    from django.conf import settings as django_settings

    routes = django_settings.CELERY_TASK_ROUTES
    assert routes["coordination.desk.tasks.mailbox_sweep"] == {"queue": "sweeps"}
