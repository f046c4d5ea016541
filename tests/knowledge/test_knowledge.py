"""The knowledge base: review before publish, history, who may write and read, search that
works for Chinese, the pages, the API and the report form's suggestions."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import Agency
from coordination.knowledge.models import Article, ArticleVersion, SuggestionEvent
from coordination.knowledge.search import live_articles, search
from coordination.knowledge.services import (
    article_publish,
    article_reject,
    article_retire,
    article_save,
    article_submit,
)
from coordination.knowledge.templatetags import knowledge as knowledge_tags
from coordination.knowledge.templatetags.knowledge import category_answers
from coordination.knowledge.text import query_tokens, tokens
from issues.models import OPERATORS_GROUP
from platform_gov.errors import WorkflowError
from tests.factories import AgencyFactory, CategoryFactory, IssueFactory, UserFactory, member

from .corpus import ARTICLES, QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    centre = AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)
    water = AgencyFactory(code="water")
    roads = AgencyFactory(code="roads")
    return {
        "centre": centre,
        "water": water,
        "roads": roads,
        "dispatcher": member(centre),
        "water_staff": member(water),
        "roads_staff": member(roads),
    }


def published(world, question, answer, *, audience="public", category=None, **kw) -> Article:
    article = article_save(
        actor=world["water_staff"],
        question=question,
        answer=answer,
        organisation=world["water"],
        audience=audience,
        category=category,
        **kw,
    )
    article_submit(article_id=article.pk, actor=world["water_staff"])
    return article_publish(article_id=article.pk, actor=world["dispatcher"])


# --------------------------------------------------------------- review before publishing


def test_an_article_reaches_nobody_before_the_dispatch_centre_publishes_it(world):
    staff, dispatcher = world["water_staff"], world["dispatcher"]
    article = article_save(
        actor=staff, question="停水怎么办？", answer="等待抢修。", organisation=world["water"]
    )
    assert search("停水") == []
    with pytest.raises(WorkflowError) as early:
        article_publish(article_id=article.pk, actor=dispatcher)
    assert early.value.code == "not_in_review"

    article_submit(article_id=article.pk, actor=staff)
    with pytest.raises(WorkflowError) as not_reviewer:
        article_publish(article_id=article.pk, actor=staff)
    assert not_reviewer.value.code == "not_reviewer"
    assert search("停水") == []

    article_publish(article_id=article.pk, actor=dispatcher, note="OK")
    assert [h.article.pk for h in search("停水")] == [article.pk]


def test_an_edit_of_a_published_article_goes_back_to_review_and_keeps_its_history(world):
    article = published(world, "停水怎么办？", "等待抢修。")
    article_save(
        actor=world["water_staff"],
        article_id=article.pk,
        question="停水怎么办？",
        answer="拨打96116报修。",
        organisation=world["water"],
    )
    article.refresh_from_db()
    assert (article.status, article.version) == (Article.Status.DRAFT, 2)
    assert search("停水") == []  # changed words wait for review
    kinds = list(article.versions.values_list("version", "kind"))
    assert kinds == [
        (1, ArticleVersion.Kind.CREATED),
        (1, ArticleVersion.Kind.SUBMITTED),
        (1, ArticleVersion.Kind.PUBLISHED),
        (2, ArticleVersion.Kind.EDITED),
    ]
    assert article.versions.first().answer == "等待抢修。"  # what it said then


def test_a_rejection_sends_the_article_back_with_the_reason(world):
    article = article_save(
        actor=world["water_staff"], question="Q", answer="A", organisation=world["water"]
    )
    article_submit(article_id=article.pk, actor=world["water_staff"])
    with pytest.raises(WorkflowError):
        article_reject(article_id=article.pk, actor=world["dispatcher"], note="  ")
    article_reject(article_id=article.pk, actor=world["dispatcher"], note="Give the number.")
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert article.review_note == "Give the number."


def test_staff_write_only_for_their_own_organisation(world):
    with pytest.raises(WorkflowError):
        article_save(
            actor=world["roads_staff"], question="Q", answer="A", organisation=world["water"]
        )
    article = article_save(
        actor=world["water_staff"], question="Q", answer="A", organisation=world["water"]
    )
    with pytest.raises(WorkflowError):
        article_submit(article_id=article.pk, actor=world["roads_staff"])
    with pytest.raises(WorkflowError):
        article_retire(article_id=article.pk, actor=UserFactory())


def test_retired_and_expired_articles_and_internal_ones_stay_out_of_public_search(world):
    today = timezone.localdate()
    retired = published(world, "停水怎么办一", "甲")
    article_retire(article_id=retired.pk, actor=world["water_staff"])
    published(world, "停水怎么办二", "乙", valid_to=today - timedelta(days=1))
    published(world, "停水怎么办三", "丙", valid_from=today + timedelta(days=1))
    internal = published(world, "停水怎么办四", "丁", audience="internal")
    live = published(world, "停水怎么办五", "戊")

    assert [h.article.pk for h in search("停水")] == [live.pk]
    staff_view = search("停水", articles=live_articles(internal=True))
    assert {h.article.pk for h in staff_view} == {live.pk, internal.pk}


# ----------------------------------------------------------------------------- search


def test_chinese_is_segmented_into_words_and_their_parts():
    words = tokens("垃圾分类有哪几类？")
    assert "垃圾" in words and "分类" in words
    assert "？" not in words and "有" not in words
    assert query_tokens("停水 停水") == ["停水"]
    assert query_tokens("怎么 吗 的？") == []


def test_the_expected_article_is_in_the_top_three_for_every_callers_question(world):
    ids = {key: published(world, q, a).pk for key, (q, a) in ARTICLES.items()}
    misses = []
    for query, key in QUERIES:
        top = [hit.article.pk for hit in search(query, limit=3)]
        if ids[key] not in top:
            misses.append(query)
    assert misses == []
    assert len(QUERIES) >= 30


def test_a_query_of_no_searchable_word_finds_nothing(world):
    published(world, "停水怎么办？", "等待抢修。")
    assert search("怎么 吗？") == []
    assert search("") == []


def test_search_takes_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    for key, (q, a) in list(ARTICLES.items())[:10]:
        published(world, q, a, category=CategoryFactory(code=key))
    with django_assert_max_num_queries(2):  # the words' counts, the articles
        hits = search("停水 停电 垃圾")
    with django_assert_max_num_queries(0):
        [h.article.category.code for h in hits]


# ------------------------------------------------------------------------------ pages


def test_the_pages_take_an_article_from_draft_through_review_to_published(client, world):
    client.force_login(world["water_staff"])
    response = client.post(
        "/knowledge/new/",
        {
            "question": "水表坏了怎么办？",
            "answer": "拨打自来水公司热线。",
            "organisation": world["water"].pk,
            "audience": "public",
        },
    )
    article = Article.objects.get()
    assert response["Location"] == f"/knowledge/{article.pk}/"
    client.post(f"/knowledge/{article.pk}/submit/")
    # Staff may not publish their own, even by posting the form.
    assert (
        client.post(f"/knowledge/{article.pk}/review/", {"decision": "publish"}).status_code == 403
    )

    client.force_login(world["dispatcher"])
    queue = client.get("/knowledge/review/").content.decode()
    assert "水表坏了怎么办？" in queue
    client.post(f"/knowledge/{article.pk}/review/", {"decision": "publish", "note": "好"})
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED

    client.logout()
    page = client.get(f"/knowledge/{article.pk}/").content.decode()
    assert "拨打自来水公司热线。" in page
    assert 'data-testid="article-history"' not in page  # history is for staff
    found = client.get("/knowledge/", {"q": "水表坏了"}).content.decode()
    assert f"/knowledge/{article.pk}/" in found


def test_a_draft_or_internal_article_is_hidden_from_residents(client, world):
    draft = article_save(
        actor=world["water_staff"], question="Q", answer="A", organisation=world["water"]
    )
    internal = published(world, "内部口径", "只给接线员。", audience="internal")
    assert client.get(f"/knowledge/{draft.pk}/").status_code == 404
    assert client.get(f"/knowledge/{internal.pk}/").status_code == 404
    client.force_login(world["roads_staff"])
    assert client.get(f"/knowledge/{internal.pk}/").status_code == 200
    assert client.get(f"/knowledge/{draft.pk}/").status_code == 404  # another organisation's


def test_the_case_page_shows_articles_of_the_issues_category(client, world):
    category = CategoryFactory(code="water-supply")
    published(world, "停水怎么办？", "等待抢修。", category=category)
    published(world, "别的类别", "无关。")
    issue = IssueFactory(category=category, status="triage")
    client.force_login(world["dispatcher"])
    page = client.get(f"/dispatch/issues/{issue.pk}/").content.decode()
    assert 'data-testid="knowledge-answers"' in page
    assert "停水怎么办？" in page and "别的类别" not in page


def test_the_case_page_s_answers_are_kept_until_an_article_changes(
    world, django_assert_num_queries
):
    category = CategoryFactory(code="water-supply")
    published(world, "停水怎么办？", "等待抢修。", category=category)
    assert [a.question for a in category_answers(category.pk)] == ["停水怎么办？"]
    with django_assert_num_queries(1):  # the articles' stamp: nothing changed, nothing read
        assert [a.question for a in category_answers(category.pk)] == ["停水怎么办？"]
    published(world, "水压低怎么办？", "检查阀门。", category=category)
    assert [a.question for a in category_answers(category.pk)] == ["水压低怎么办？", "停水怎么办？"]


def test_the_case_page_s_answers_follow_the_day_without_a_change_to_the_articles(world):
    category = CategoryFactory(code="water-supply")
    today = timezone.localdate()
    published(world, "停水怎么办？", "等待抢修。", category=category, valid_to=today)
    published(
        world,
        "春节期间停水怎么办？",
        "拨打抢修电话。",
        category=category,
        valid_from=today + timedelta(days=1),
    )
    assert [a.question for a in category_answers(category.pk)] == ["停水怎么办？"]

    midnight = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    with time_machine.travel(midnight + timedelta(seconds=1), tick=False):
        assert [a.question for a in category_answers(category.pk)] == ["春节期间停水怎么办？"]
        # Only the current day's answers are kept: the process does not collect past days.
        assert set(knowledge_tags._kept) == {category.pk}
        assert knowledge_tags._kept_for[1] == today + timedelta(days=1)


# -------------------------------------------------------------------------- API, JSON


def test_the_api_searches_public_answers_and_internal_ones_for_staff(world):
    public = published(world, "停水怎么办？", "等待抢修。")
    internal = published(world, "停水内部口径", "先查工单。", audience="internal")
    client = APIClient()
    body = client.get("/api/v1/knowledge/search/", {"q": "停水"}).json()
    assert [row["id"] for row in body] == [public.pk]
    assert body[0]["answer"] == "等待抢修。"
    operator = UserFactory()
    operator.groups.add(Group.objects.get_or_create(name=OPERATORS_GROUP)[0])
    client.force_authenticate(operator)
    ids = {row["id"] for row in client.get("/api/v1/knowledge/search/", {"q": "停水"}).json()}
    assert ids == {public.pk, internal.pk}
    assert client.get("/api/v1/knowledge/search/").status_code == 400


def test_the_report_form_suggestions_and_their_counter(client, world):
    article = published(world, "停水怎么办？", "等待抢修。")
    published(world, "内部", "停水内部", audience="internal")
    body = client.get("/knowledge/suggest.json", {"q": "家里停水了"}).json()
    assert [r["id"] for r in body["results"]] == [article.pk]

    post = client.post
    assert post("/knowledge/suggest/event/", {"visit": "v1", "kind": "shown"}).json()["counted"]
    assert post(
        "/knowledge/suggest/event/", {"visit": "v1", "kind": "not_filed", "article": article.pk}
    ).json()["counted"]
    # An outcome counts once per visit.
    again = post("/knowledge/suggest/event/", {"visit": "v1", "kind": "not_filed"})
    assert again.json()["counted"] is False
    assert post("/knowledge/suggest/event/", {"visit": "v1", "kind": "bogus"}).status_code == 400
    assert SuggestionEvent.objects.filter(kind="not_filed", article=article).count() == 1
