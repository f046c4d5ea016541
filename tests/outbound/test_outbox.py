"""The transactional outbox: a message exists exactly when the change that causes it commits,
is sent by the relay, retried on a schedule kept in the database, given up with a reason,
and recognisable (Message-ID, X-Platform-Delivery) when it is sent again."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connections, transaction
from django.utils import timezone

from coordination.dispatch.events import Event, publish, publish_many, subscribe, unsubscribe
from coordination.outbound import relay
from coordination.outbound.models import OutboxMessage, WebhookAttempt, WebhookDelivery
from coordination.outbound.outbox import MAX_ATTEMPTS, outbox_mail_resident, outbox_mail_staff
from coordination.outbound.relay import outbox_send, outbox_send_due
from coordination.outbound.webhooks.services import IN_PROGRESS, webhook_endpoint_register
from tests.factories import AgencyFactory, AssignmentFactory, IssueFactory, member

from .test_webhooks import Receiver

Status = OutboxMessage.Status


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def issue(db):
    return IssueFactory(contact_email="lihua@example.org")


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2


@pytest.mark.django_db
def test_a_message_is_written_with_its_change_and_vanishes_with_a_rollback(
    issue, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        publish(Event.ISSUE_REPLIED, issue_id=issue.pk)
        assert OutboxMessage.objects.count() == 1
        raise RuntimeError("the change failed")
    assert OutboxMessage.objects.count() == 0
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        publish(Event.ISSUE_REPLIED, issue_id=issue.pk)
    message = OutboxMessage.objects.get()
    assert message.status == Status.SENT and message.attempts == 1 and message.sent_at
    assert [m.to for m in mail.outbox] == [["lihua@example.org"]]


@pytest.mark.django_db
def test_a_resend_after_a_lost_sender_carries_the_same_message_id(
    issue, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://12345.qinghe.example"
    message = outbox_mail_resident(issue_id=issue.pk, event="replied")  # no relay: no commit
    now = timezone.now()
    # A relay claims it, then dies before sending: the row stays leased, not lost.
    assert [m.pk for m in relay._claim(now=now, ids=None, limit=10)] == [message.pk]
    assert outbox_send_due(now=now + timedelta(seconds=1)) == {}  # leased: nobody else sends
    assert outbox_send_due(now=now + settings.OUTBOX_LEASE) == {Status.SENT: 1}
    outbox_send_due(now=now + settings.OUTBOX_LEASE * 3)  # sent: never again

    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == (
        f"<outbox-{message.pk}@12345.qinghe.example>"
    )
    message.refresh_from_db()
    assert message.attempts == 2 and message.status == Status.SENT


@pytest.mark.django_db
def test_a_failing_mail_server_gets_backoff_then_the_message_is_given_up_with_the_reason(
    issue, smtp_down
):
    message = outbox_mail_resident(issue_id=issue.pk, event="replied")
    now = timezone.now()
    waits = []
    for _ in range(MAX_ATTEMPTS):
        outbox_send(now=now)
        message.refresh_from_db()
        if message.status != Status.PENDING:
            break
        waits.append((message.next_attempt_at - now).total_seconds())
        now = message.next_attempt_at
    assert waits == [20, 40, 80, 160, 320, 640, 1280]
    assert message.status == Status.GIVEN_UP
    assert message.attempts == MAX_ATTEMPTS
    assert message.last_error.startswith(f"given up after {MAX_ATTEMPTS} attempts: ")
    assert "Connection refused" in message.last_error or "ConnectionRefused" in message.last_error


@pytest.mark.django_db
def test_a_resident_without_an_address_is_recorded_as_nothing_to_send(db):
    silent = IssueFactory(contact_email="")
    message = outbox_mail_resident(issue_id=silent.pk, event="replied")
    outbox_send()
    message.refresh_from_db()
    assert message.status == Status.SKIPPED and message.last_error == "no address to write to"
    assert mail.outbox == []


@pytest.mark.services  # row locks: PostgreSQL
@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_one_relay_is_skipped_by_another(issue):
    message = OutboxMessage.objects.create(  # as outbox_record writes it, without its relay
        kind=OutboxMessage.Kind.MAIL,
        dedupe_key="test",
        payload={"audience": "resident", "issue_id": issue.pk, "event": "replied"},
    )
    locked, release = threading.Event(), threading.Event()

    def other_relay():
        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update().get(pk=message.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_relay)
    thread.start()
    try:
        assert locked.wait(10)
        assert outbox_send() == {}  # SKIP LOCKED: no waiting, no double send
    finally:
        release.set()
        thread.join()
    assert outbox_send() == {Status.SENT: 1}
    assert len(mail.outbox) == 1


@pytest.mark.services  # a second connection reads while the first is in use: PostgreSQL
@pytest.mark.django_db(transaction=True)
def test_a_webhook_attempt_is_in_the_delivery_log_before_the_post(settings):
    """The partner, on receiving the POST, already finds the attempt recorded (committed)."""
    settings.WEBHOOK_ALLOW_INSECURE_LOCALHOST = True
    partner = AgencyFactory(code="water-co")
    seen_during_post: list[tuple[int, str]] = []
    server = Receiver([200])
    handler = server.server.RequestHandlerClass
    original = handler.do_POST

    def do_post(self):
        try:
            seen_during_post.extend(WebhookAttempt.objects.values_list("status_code", "error"))
        finally:
            connections.close_all()
        original(self)

    handler.do_POST = do_post
    try:
        webhook_endpoint_register(agency=partner, url=server.url, secret="s" * 32)
        assignment = AssignmentFactory(agency=partner)
        publish(
            Event.ASSIGNMENT_CREATED,
            assignment_id=assignment.pk,
            issue_id=assignment.issue_id,
            agency_id=assignment.agency_id,
        )  # autocommit: the relay ran after the commit
    finally:
        server.stop()
    assert seen_during_post == [(None, IN_PROGRESS)]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert list(delivery.attempt_log.values_list("status_code", "error")) == [(200, "")]
    headers, _body = server.requests[0]
    assert headers["X-Platform-Delivery"] == str(delivery.event_id)
    message = OutboxMessage.objects.get(kind=OutboxMessage.Kind.WEBHOOK)
    assert message.delivery == delivery and message.status == Status.SENT


@pytest.mark.django_db
def test_the_admin_lists_the_outbox_and_sends_a_given_up_message_again(
    client, issue, smtp_down, settings, django_capture_on_commit_callbacks
):
    message = outbox_mail_resident(issue_id=issue.pk, event="replied")
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.GIVEN_UP, attempts=MAX_ATTEMPTS, last_error="given up after 8 attempts"
    )
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    page = client.get("/admin/outbound/outboxmessage/")
    assert page.status_code == 200
    assert f"resident of issue {issue.pk}" in page.content.decode()
    assert client.get(f"/admin/outbound/outboxmessage/{message.pk}/change/").status_code == 200

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/outbound/outboxmessage/",
            {"action": "retry_now", "_selected_action": [message.pk]},
        )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_transactions_emails_reach_the_broker_as_one_message(
    issue, django_capture_on_commit_callbacks
):
    """A batch of routings writes hundreds of e-mails: one relay message carries them all,
    and one written in a savepoint rolled back is not among them."""
    others = [IssueFactory(contact_email=f"r{n}@example.org") for n in range(3)]
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for other in [issue, *others]:
            outbox_mail_resident(issue_id=other.pk, event="replied")
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox_mail_resident(issue_id=issue.pk, event="merged")
            raise RuntimeError("this part failed")

    assert len(callbacks) == 1
    mail.outbox.clear()
    callbacks[0]()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(i.contact_email for i in [issue, *others])
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.django_db
def test_a_batch_of_events_reaches_plain_and_batch_subscribers_alike(issue):
    seen_one_by_one, seen_at_once = [], []

    def plain(**ids):
        seen_one_by_one.append(ids["issue_id"])

    def single(**ids):
        raise AssertionError("its batch form is called instead")

    subscribe(Event.ISSUE_REPLIED, plain)
    subscribe(Event.ISSUE_REPLIED, single, many=lambda items: seen_at_once.append(items))
    try:
        publish_many(Event.ISSUE_REPLIED, [{"issue_id": 1}, {"issue_id": 2}])
    finally:
        unsubscribe(Event.ISSUE_REPLIED, plain)
        unsubscribe(Event.ISSUE_REPLIED, single)
    assert seen_one_by_one == [1, 2]
    assert seen_at_once == [[{"issue_id": 1}, {"issue_id": 2}]]


class CountingBackend(locmem.EmailBackend):
    """The mail server's side, counted: how many connections the relay opened."""

    opened = 0

    def open(self):
        CountingBackend.opened += 1
        return super().open()


@pytest.mark.django_db
def test_a_relay_run_reads_each_kind_of_row_once_and_opens_one_connection(
    settings, django_assert_max_num_queries
):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    agencies = [AgencyFactory(code=f"org-{n}") for n in range(3)]
    for agency in agencies:
        member(agency)

    def owe(n: int) -> list[int]:
        ids = []
        for i in range(n):
            issue = IssueFactory(contact_email=f"r{i}@example.org")
            AssignmentFactory(issue=issue, agency=agencies[i % 3])
            ids.append(outbox_mail_resident(issue_id=issue.pk, event="dispatched").pk)
            ids.append(
                outbox_mail_staff(
                    agency_id=agencies[i % 3].pk, issue_id=issue.pk, event="assigned"
                ).pk
            )
        return ids

    few, many = owe(2), owe(12)
    CountingBackend.opened = 0
    mail.outbox.clear()
    # A fixed part (the claim, the issues, their leads, the organisations, each one's
    # addresses) and one record per message.
    with django_assert_max_num_queries(10 + len(few)):
        assert outbox_send(ids=few, limit=50) == {Status.SENT: len(few)}
    with django_assert_max_num_queries(10 + len(many)):
        assert outbox_send(ids=many, limit=50) == {Status.SENT: len(many)}
    assert CountingBackend.opened == 2  # one connection a run, not one an e-mail
    assert len(mail.outbox) == len(few) + len(many)
    resident = next(m for m in mail.outbox if m.to == ["r0@example.org"])
    assert agencies[0].name in resident.subject


@pytest.mark.django_db
def test_a_failing_subscriber_is_logged_and_holds_no_other_back(caplog):
    seen = []

    def broken(**ids):
        raise RuntimeError("broken")

    def plain(**ids):
        seen.append(ids["issue_id"])

    subscribe(Event.ISSUE_MERGED, broken, many=lambda items: 1 / 0)
    subscribe(Event.ISSUE_MERGED, plain)
    try:
        publish_many(Event.ISSUE_MERGED, [{"issue_id": 7}, {"issue_id": 8}])
        publish(Event.ISSUE_MERGED, issue_id=9)
    finally:
        unsubscribe(Event.ISSUE_MERGED, broken)
        unsubscribe(Event.ISSUE_MERGED, plain)
    assert seen == [7, 8, 9]
    assert "(2)" in caplog.text and "{'issue_id': 9}" in caplog.text
