"""Early warning: a level far above its rolling baseline is announced once per crossing, with
its evidence, to the dispatcher and the responsible managers."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from coordination.hot.models import HotWarning
from coordination.hot.services.warnings import Thresholds, level, poisson_tail, warnings_evaluate
from coordination.outbound.models import OutboxMessage

from .conftest import EAST
from .fixtures import START

# One problem (a burst of pipe bursts) told in many ways, so that each filing is its own voice.
BURSTS = [
    (f"东街道{n}号楼水管爆裂", f"{n}号楼下水管昨晚爆裂，整栋楼停水，水漫进地下室。")
    for n in range(1, 30)
]
QUIET = [(f"东街道{n}号门前垃圾没人收", f"{n}号门前的垃圾桶满了三天没人收。") for n in range(1, 30)]


def test_the_poisson_judgement_of_a_count():
    t = Thresholds.from_settings()
    assert poisson_tail(0, 1.0) == 1.0
    assert poisson_tail(5, 0.2) < 1e-5
    quiet = level(observed=2, before=56, days=28, t=t)  # two a day, as usual
    assert quiet.expected == pytest.approx(2.0)
    assert not quiet.crosses(t) and quiet.has_ended(t)
    burst = level(observed=12, before=56, days=28, t=t)
    assert burst.crosses(t)
    # A young record is judged on the days it has, at least one, at least the floor.
    fresh = level(observed=5, before=0, days=0.3, t=t)
    assert fresh.baseline_days == 1 and fresh.expected == pytest.approx(0.2)
    assert fresh.crosses(t)


def test_a_burst_warns_once_per_crossing(city, file, settings):
    settings.HOT_WARNING_MIN_COUNT = 5
    # A month of the usual: one complaint every three days in the street and category.
    for day in range(0, 30, 3):
        file(QUIET[day % len(QUIET)], day=day, category=city.rubbish)
    assert not HotWarning.objects.exists()
    mail.outbox.clear()

    # Day 31: a burst.
    for i in range(8):
        file(BURSTS[i], day=31 + i * 0.05, category=city.rubbish)
    opened = HotWarning.objects.filter(scope=HotWarning.Scope.AREA_CATEGORY)
    assert opened.count() == 1, "one warning for the crossing, however many complaints"
    warning = opened.get()
    assert warning.area == city.east and warning.category == city.environment
    assert warning.observed == 5  # opened at the fifth: the minimum count
    assert warning.expected < 1
    assert warning.evidence["issues"] and warning.evidence["daily"]
    assert warning.is_open
    assert HotWarning.objects.get(pk=warning.pk).peak == 8

    # Quiet again two days later: the warning ends.
    with time_machine.travel(START + timedelta(days=33.5), tick=False):
        warnings_evaluate()
    assert not HotWarning.objects.get(pk=warning.pk).is_open

    # A second burst is a second crossing: a second warning.
    for i in range(8, 14):
        file(BURSTS[i], day=34 + i * 0.01, category=city.rubbish)
    assert HotWarning.objects.filter(scope=HotWarning.Scope.AREA_CATEGORY).count() == 2


def test_a_hot_issue_rising_fast_warns_too(city, file, settings):
    settings.HOT_WARNING_MIN_COUNT = 4
    title = "东街道5号楼水管爆裂停水"
    for i in range(5):
        file((title, f"第{i + 1}户：5号楼水管爆裂，停水一天了。"), day=i * 0.1)
    warned = HotWarning.objects.filter(scope=HotWarning.Scope.HOT_ISSUE)
    assert warned.count() == 1
    assert warned.get().hot_issue.size >= 4


def test_the_warning_is_mailed_to_the_dispatcher_and_the_areas_managers(
    city, file, settings, django_capture_on_commit_callbacks
):
    from agencies.models import Membership
    from tests.factories import member

    settings.HOT_WARNING_MIN_COUNT = 4
    street_manager = member(city.street, role=Membership.Role.MANAGER, username="hx_street_boss")
    mail.outbox.clear()
    for i in range(4):
        file(BURSTS[i], day=i * 0.05)
    warning = HotWarning.objects.filter(scope=HotWarning.Scope.AREA_CATEGORY).get()
    sent = [m for m in mail.outbox if "/hot/warnings/" in m.body]
    assert len(sent) >= 1
    recipients = {address for m in sent for address in m.to}
    assert city.dispatcher.email in recipients
    assert street_manager.email in recipients  # the street office of the area
    assert city.street_staff.email not in recipients  # managers only
    body = next(m.body for m in sent if f"/hot/warnings/{warning.pk}/" in m.body)
    assert BURSTS[0][0] in body  # the complaints' public titles
    assert "13800000" not in body  # never a resident's contact
    # Through the outbox: one row for the warning, sent, its id in the e-mail's Message-ID.
    row = OutboxMessage.objects.get(dedupe_key=f"hot-warning:{warning.pk}")
    assert row.status == OutboxMessage.Status.SENT
    mailed = next(m for m in sent if f"/hot/warnings/{warning.pk}/" in m.body)
    assert mailed.extra_headers["Message-ID"].startswith(f"<outbox-{row.pk}@")


def test_a_warning_mail_that_fails_is_kept_and_sent_later(city, file, settings, monkeypatch):
    """The mail server refuses: the warning's message stays in the outbox, scheduled again in
    the database, and the relay's next pass sends it (once)."""
    from smtplib import SMTPServerDisconnected

    from django.core.mail import EmailMessage

    from coordination.outbound.relay import outbox_send_due

    settings.HOT_WARNING_MIN_COUNT = 4
    real_send = EmailMessage.send

    def refuse(self, *args, **kwargs):
        if "/hot/warnings/" in self.body:
            raise SMTPServerDisconnected("the mail server went away")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(EmailMessage, "send", refuse)  # the mail server is outside: faked
    mail.outbox.clear()
    for i in range(4):
        file(BURSTS[i], day=i * 0.05)
    warning = HotWarning.objects.filter(scope=HotWarning.Scope.AREA_CATEGORY).get()
    row = OutboxMessage.objects.get(dedupe_key=f"hot-warning:{warning.pk}")
    assert row.status == OutboxMessage.Status.PENDING
    assert row.attempts >= 1 and "went away" in row.last_error
    assert not [m for m in mail.outbox if "/hot/warnings/" in m.body]

    monkeypatch.setattr(EmailMessage, "send", real_send)  # the server is back
    outbox_send_due(now=row.next_attempt_at + timedelta(seconds=1))
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT
    assert len([m for m in mail.outbox if f"/hot/warnings/{warning.pk}/" in m.body]) == 1


def test_quiet_levels_do_not_warn(city, file):
    for i in range(4):
        file(QUIET[i], day=i * 2)
    assert not HotWarning.objects.exists()
    assert EAST  # the place of every filing here
