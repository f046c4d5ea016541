"""Every write to the knowledge base: write, edit, submit, publish, send back, retire.

Review before publishing: only an article in review may be published, and only by the
dispatch centre (the gate's ``can_review_articles``); an edit of a published article takes it
back to draft, so changed words reach nobody before they are reviewed again. Each step adds
one ArticleVersion row. Refused steps raise ``WorkflowError``; bad input ``ValidationError``.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from coordination.dispatch.permissions import can_review_articles, can_write_article
from issues.models import Category
from platform_gov.errors import WorkflowError

from .models import Article, ArticleVersion, SuggestionEvent
from .text import tokens

S = Article.Status


def search_text_of(*, question: str, answer: str, category: Category | None) -> str:
    words = tokens(question) * 2 + tokens(answer)
    if category is not None:
        words += tokens(f"{category.name_zh} {category.name_en}")
    return " ".join(words)


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
        else:
            article = _locked(article_id)
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
        article.search_text = search_text_of(
            question=article.question, answer=article.answer, category=category
        )
        article.full_clean()
        article.save()
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
