"""The publication policy (``issues.publication``): which issues the public may see, and what
of them — the one answer every public surface asks."""

from __future__ import annotations

import pytest

from agencies.areas import area_locator
from agencies.geometry import rectangle
from agencies.models import Area
from issues.models import Issue, Update
from issues.publication import (
    ANONYMOUS,
    KEPT_PRIVATE,
    PRIVATE_CATEGORY,
    REJECTED,
    UNCATEGORISED,
    public_issue,
    public_note,
    public_timeline,
    public_updates,
    publication_refusal,
    publishable_issues,
    scrub,
)
from platform_gov.stamps import shown_stamps_forget
from tests.factories import AreaFactory, CategoryFactory, IssueFactory

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------ whether


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        ({}, None),
        ({"anonymous": True}, ANONYMOUS),
        ({"keep_private": True}, KEPT_PRIVATE),
        ({"category": None}, UNCATEGORISED),
        ({"status": Issue.Status.REJECTED}, REJECTED),
    ],
)
def test_an_issue_is_published_unless_something_keeps_it_private(fields, refusal):
    issue = IssueFactory(**fields)
    assert publication_refusal(issue) == refusal
    assert publishable_issues().filter(pk=issue.pk).exists() is (refusal is None)
    assert (public_issue(issue) is None) is (refusal is not None)


def test_a_private_category_keeps_its_own_and_its_childrens_issues_private():
    labour = CategoryFactory(code="labour", private=True)
    wages = CategoryFactory(code="wages", parent=labour)
    lights = CategoryFactory(code="lights")
    in_parent, in_child, public = (IssueFactory(category=c) for c in (labour, wages, lights))

    assert publication_refusal(in_parent) == PRIVATE_CATEGORY
    assert publication_refusal(in_child) == PRIVATE_CATEGORY
    assert publication_refusal(public) is None
    assert list(publishable_issues()) == [public]


# ------------------------------------------------------------------------------ what


def test_the_summary_is_the_description_without_personal_data():
    issue = IssueFactory(
        contact_name="王秀英",
        contact_phone="13912345678",
        contact_email="wang.xy@example.org",
        description=(
            "我叫王秀英，电话139 1234 5678，住幸福小区3号楼2单元501室，"
            "身份证11010119900307123X，邮箱wang.xy@example.org，微信 wxy_1990。"
            "楼下工地每晚22:00后施工，秀英家孩子睡不着；张先生也反映过。"
        ),
    )
    summary = public_issue(issue).summary
    for secret in (
        "王秀英",
        "秀英",
        "139",
        "5678",
        "501",
        "11010119900307123X",
        "wang.xy",
        "wxy_1990",
        "张先生",
    ):
        assert secret not in summary, secret
    assert "楼下工地每晚22:00后施工" in summary  # the problem itself stays


def test_english_names_rooms_and_numbers_are_scrubbed_but_dates_and_tracking_numbers_kept():
    text = scrub(
        "My name is Li Hua, Flat 3B. Mr. Smith's dog barks since 2026-11-28; "
        "call +86 139 1234 5678 or 010-62345678. See 20261128-ABC234.",
        names=["Li Hua"],
    )
    assert "Li Hua" not in text and "Smith" not in text and "3B" not in text
    assert "1234" not in text and "62345678" not in text
    assert "2026-11-28" in text and "20261128-ABC234" in text


def test_a_summary_staff_approved_replaces_the_description():
    issue = IssueFactory(description="Secret details", public_summary="Street light out.")
    assert public_issue(issue).summary == "Street light out."


def test_the_place_is_rounded_and_named_by_the_finest_area_never_the_typed_address():
    AreaFactory(code="haidian", name_zh="海淀区", level=Area.Level.DISTRICT)
    AreaFactory(
        code="qinghe",
        name_zh="清河街道",
        level=Area.Level.STREET,
        geometry=rectangle(116.3, 39.9, 116.5, 40.1),
    )
    issue = IssueFactory(lat=39.987654, lon=116.345678, address="清河路12号3栋501")

    place = public_issue(issue).place

    assert (place.lat, place.lon) == (39.988, 116.346)
    assert place.area_name == "清河街道"
    outside = IssueFactory(lat=10.0, lon=10.0)
    assert public_issue(outside).place.area is None
    nowhere = IssueFactory(lat=None, lon=None)
    assert public_issue(nowhere).place.lat is None


def test_the_area_locator_sees_a_changed_area_at_once():
    area = AreaFactory(code="a", name_zh="甲", geometry=rectangle(0, 0, 1, 1))
    assert area_locator().at(lon=0.5, lat=0.5).code == "a"
    area.geometry = rectangle(5, 5, 6, 6)
    area.save()
    assert area_locator().at(lon=0.5, lat=0.5) is None


# ------------------------------------------------------------------------------ timeline


def _timeline(issue):
    return [
        Update.objects.create(issue=issue, kind=Update.Kind.SUBMITTED),
        Update.objects.create(issue=issue, kind=Update.Kind.REPLIED, note="Dear Ms Wang, …"),
        Update.objects.create(
            issue=issue, kind=Update.Kind.REPLIED, note="Crews fix it Monday.", published=True
        ),
        Update.objects.create(issue=issue, kind=Update.Kind.RESOLVED, note="Fixed for Li Hua."),
        Update.objects.create(issue=issue, kind=Update.Kind.FEEDBACK, note="1/5"),
        Update.objects.create(
            issue=issue, kind=Update.Kind.REOPENED, note="Still dark, 13812345678"
        ),
    ]


def test_public_updates_carry_only_published_staff_words_never_the_residents():
    issue = IssueFactory()
    submitted, private_reply, published_reply, resolved, feedback, reopened = _timeline(issue)
    hidden = IssueFactory(anonymous=True)
    _timeline(hidden)

    updates = list(public_updates())

    assert updates == [submitted, published_reply, resolved, reopened]
    assert [public_note(u) for u in updates] == ["", "Crews fix it Monday.", "", ""]
    assert private_reply not in updates and feedback not in updates


def test_a_published_note_is_scrubbed_too():
    issue = IssueFactory(contact_name="Li Hua")
    update = Update.objects.create(
        issue=issue,
        kind=Update.Kind.RESOLVED,
        note="Fixed; told Li Hua on 13812345678.",
        published=True,
    )
    assert public_note(update) == "Fixed; told *** on ***."


def test_the_timeline_of_an_unpublishable_issue_has_steps_but_no_words():
    issue = IssueFactory(keep_private=True)
    _timeline(issue)
    assert [(u.kind, note) for u, note in public_timeline(issue)] == [
        ("submitted", ""),
        ("replied", ""),
        ("resolved", ""),
        ("reopened", ""),
    ]


# ------------------------------------------------------------------------------ merged reports


def test_a_merged_reports_page_shows_the_surviving_issues_steps_not_its_residents_replies(client):
    survivor = IssueFactory(contact_name="Li Hua", resolution="Fixed, as told to Li Hua.")
    Update.objects.create(
        issue=survivor, kind=Update.Kind.REPLIED, note="Dear Li Hua, we call you tomorrow."
    )
    Update.objects.create(
        issue=survivor, kind=Update.Kind.REPLIED, note="Crews come on Monday.", published=True
    )
    Update.objects.create(
        issue=survivor, kind=Update.Kind.RESOLVED, note="Fixed, as told to Li Hua."
    )
    duplicate = IssueFactory(
        contact_name="Wang Wu", status=Issue.Status.MERGED, merged_into=survivor
    )

    body = client.get(
        f"/track/{duplicate.access_token}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "Crews come on Monday." in body
    assert "Dear Li Hua" not in body and "told to Li Hua" not in body
    assert 'data-testid="merged-resolution"' not in body  # not published
    Update.objects.filter(issue=survivor, kind=Update.Kind.RESOLVED).update(published=True)
    body = client.get(
        f"/track/{duplicate.access_token}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Fixed, as told to ***." in body


def test_scrubbing_leaves_words_that_only_look_like_names_or_homes():
    text = scrub(
        "我是时代中心的业主，本人党费按时缴纳，小区共1200户居民，3栋501室漏水，2单元302，"
        "70/90户型；我是王芳。"
    )
    assert "时代中心" in text and "党费" in text and "1200户居民" in text and "90户型" in text
    assert "501" not in text and "302" not in text and "王芳" not in text


def test_the_area_locator_asks_at_most_every_display_stamp_seconds(
    settings, django_assert_num_queries
):
    AreaFactory(code="a", name_zh="甲", geometry=rectangle(0, 0, 1, 1))
    settings.DISPLAY_STAMP_SECONDS = 60
    shown_stamps_forget()
    assert area_locator().at(lon=0.5, lat=0.5).code == "a"
    AreaFactory(code="b", name_zh="乙", geometry=rectangle(5, 5, 6, 6))
    with django_assert_num_queries(0):  # within the minute: the kept one, not asked
        assert area_locator().at(lon=5.5, lat=5.5) is None
    settings.DISPLAY_STAMP_SECONDS = 0
    assert area_locator().at(lon=5.5, lat=5.5).code == "b"
    with django_assert_num_queries(1):  # the stamp alone: the areas did not change
        area_locator()
