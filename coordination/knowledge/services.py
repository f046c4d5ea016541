"""Every write to the knowledge base: write, edit, submit, publish, send back, retire.

Review before publishing: only an article in review may be published, and only by the
dispatch centre (the gate's ``can_review_articles``); an edit of a published article takes it
back to draft, so changed words reach nobody before they are reviewed again. Each step adds
one ArticleVersion row. Refused steps raise ``WorkflowError``; bad input ``ValidationError``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from coordination.dispatch.permissions import can_review_articles, can_write_article
from issues.models import Category
from platform_gov.errors import WorkflowError

from .models import Article, ArticleVersion, ArticleWord, SuggestionEvent
from .text import tokens

S = Article.Status


def search_words_of(*, question: str, answer: str, category: Category | None) -> tuple[str, str]:
    """The words of the question, and of everything (question, answer, category's names)."""
    asked = tokens(question)
    words = asked + tokens(answer)
    if category is not None:
        words += tokens(f"{category.name_zh} {category.name_en}")
    return " ".join(asked), " ".join(words)


WORD_MAX = ArticleWord._meta.get_field("word").max_length


def _distinct_words(article: Article) -> set[str]:
    return {w[:WORD_MAX] for w in article.search_text.split()}


def words_count(changes: dict[str, int]) -> None:
    """Add to the count of articles holding each word (``changes``: word → +n or -n), in one
    statement (an upsert: PostgreSQL and SQLite both have it)."""
    changes = {w: n for w, n in changes.items() if n}
    if not changes:
        return
    table = ArticleWord._meta.db_table
    values = ", ".join(["(%s, %s)"] * len(changes))
    params = [x for item in changes.items() for x in item]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (word, articles) VALUES {values} ON CONFLICT (word) "  # noqa: S608
            f"DO UPDATE SET articles = {table}.articles + excluded.articles",
            params,
        )


def words_rebuild() -> int:
    """Count every word of every article afresh (after a bulk load): the number of words."""
    counts: Counter[str] = Counter()
    total = 0
    for text in Article.objects.values_list("search_text", flat=True).iterator():
        counts.update({w[:WORD_MAX] for w in text.split()})
        total += 1
    with transaction.atomic():
        ArticleWord.objects.all().delete()
        ArticleWord.objects.bulk_create(
            [ArticleWord(word=w, articles=n) for w, n in counts.items()]
            + [ArticleWord(word="", articles=total)],
            batch_size=2000,
        )
    return len(counts)


def _record(article: Article, kind: str, actor: AbstractBaseUser | None, note: str = "") -> None:
    ArticleVersion.objects.create(
        article=article,
        version=article.version,
        kind=kind,
        status=article.status,
        question=article.question,
        answer=article.answer,
        category_id_then=article.category_id,
        audience=article.audience,
        valid_from=article.valid_from,
        valid_to=article.valid_to,
        actor=actor if actor is not None and actor.is_authenticated else None,
        note=note,
    )


def _locked(article_id: int) -> Article:
    return Article.objects.select_for_update().get(pk=article_id)


def article_save(
    *,
    actor: AbstractBaseUser,
    question: str,
    answer: str,
    organisation: Agency,
    category: Category | None = None,
    audience: str = Article.Audience.PUBLIC,
    valid_from: date | None = None,
    valid_to: date | None = None,
    article_id: int | None = None,
) -> Article:
    """Write a new draft (``article_id`` None) or edit one: the new words as a new version.
    Staff write for the organisations in their reach, the dispatcher for any."""
    if not can_write_article(actor, agency_id=organisation.pk):
        raise WorkflowError(
            _("You may write articles only for your own organisation."), code="not_writer"
        )
    with transaction.atomic():
        if article_id is None:
            article = Article(created_by=actor)
            kind = ArticleVersion.Kind.CREATED
            before: set[str] = set()
        else:
            article = _locked(article_id)
            before = _distinct_words(article)
            if not can_write_article(actor, agency_id=article.organisation_id):
                raise WorkflowError(_("This article is not yours to edit."), code="not_writer")
            if article.status == S.RETIRED:
                raise WorkflowError(_("A retired article is not edited."), code="retired")
            article.version += 1
            article.status = S.DRAFT
            kind = ArticleVersion.Kind.EDITED
        article.question = question.strip()
        article.answer = answer.strip()
        article.organisation = organisation
        article.category = category
        article.audience = audience
        article.valid_from = valid_from
        article.valid_to = valid_to
        article.search_question, article.search_text = search_words_of(
            question=article.question, answer=article.answer, category=category
        )
        article.full_clean()
        article.save()
        after = _distinct_words(article)
        changes = {w: 1 for w in after - before} | {w: -1 for w in before - after}
        if article_id is None:
            changes[""] = 1
        words_count(changes)
        _record(article, kind, actor)
    return article


def article_submit(*, article_id: int, actor: AbstractBaseUser) -> Article:
    """Send a draft to the dispatch centre for review."""
    with transaction.atomic():
        article = _locked(article_id)
        if not can_write_article(actor, agency_id=article.organisation_id):
            raise WorkflowError(_("This article is not yours to submit."), code="not_writer")
        if article.status != S.DRAFT:
            raise WorkflowError(_("Only a draft is submitted for review."), code="not_draft")
        article.status = S.IN_REVIEW
        article.save(update_fields=["status", "updated_at"])
        _record(article, ArticleVersion.Kind.SUBMITTED, actor)
    return article


def article_publish(*, article_id: int, actor: AbstractBaseUser, note: str = "") -> Article:
    """The dispatch centre publishes an article it has reviewed (only one in review)."""
    if not can_review_articles(actor):
        raise WorkflowError(_("Only the dispatch centre publishes articles."), code="not_reviewer")
    with transaction.atomic():
        article = _locked(article_id)
        if article.status != S.IN_REVIEW:
            raise WorkflowError(
                _("An article is published only after review: submit it first."),
                code="not_in_review",
            )
        article.status = S.PUBLISHED
        article.published_at = timezone.now()
        article.review_note = note.strip()
        article.save(update_fields=["status", "published_at", "review_note", "updated_at"])
        _record(article, ArticleVersion.Kind.PUBLISHED, actor, note.strip())
    return article


def article_reject(*, article_id: int, actor: AbstractBaseUser, note: str) -> Article:
    """The dispatch centre sends an article in review back to its writers, saying why."""
    if not can_review_articles(actor):
        raise WorkflowError(_("Only the dispatch centre reviews articles."), code="not_reviewer")
    note = note.strip()
    if not note:
        raise WorkflowError(_("Say what should change."), code="note_required")
    with transaction.atomic():
        article = _locked(article_id)
        if article.status != S.IN_REVIEW:
            raise WorkflowError(_("Only an article in review is sent back."), code="not_in_review")
        article.status = S.DRAFT
        article.review_note = note
        article.save(update_fields=["status", "review_note", "updated_at"])
        _record(article, ArticleVersion.Kind.REJECTED, actor, note)
    return article


def article_retire(*, article_id: int, actor: AbstractBaseUser, note: str = "") -> Article:
    """Take an article out of use for good: the dispatch centre, or its organisation."""
    with transaction.atomic():
        article = _locked(article_id)
        if not (
            can_review_articles(actor)
            or can_write_article(actor, agency_id=article.organisation_id)
        ):
            raise WorkflowError(_("This article is not yours to retire."), code="not_writer")
        if article.status == S.RETIRED:
            raise WorkflowError(_("The article is retired already."), code="retired")
        article.status = S.RETIRED
        article.save(update_fields=["status", "updated_at"])
        _record(article, ArticleVersion.Kind.RETIRED, actor, note.strip())
    return article


def suggestion_record(*, visit: str, kind: str, article_id: int | None = None) -> bool:
    """Count one thing the report form's suggestions did; an outcome (filed, not filed) once
    per visit (False when already counted)."""
    article = Article.objects.filter(pk=article_id).first() if article_id else None
    try:
        with transaction.atomic():
            SuggestionEvent.objects.create(visit=visit[:64], kind=kind, article=article)
    except IntegrityError:
        return False
    return True
