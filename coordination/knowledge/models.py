"""The knowledge base (知识库): answers the organisations hold, reviewed before they reach
anyone.

An organisation's staff write an :class:`Article` (a question and its answer, for a category,
public or internal, valid for a period); it goes to the dispatch centre for review and is
published or sent back; every change leaves an :class:`ArticleVersion` row, so the history
reads as it happened. ``search_question`` and ``search_text`` hold the segmented words
(``text.tokens``) that search matches: PostgreSQL's full-text search over a generated
tsvector of them (a GIN index), elsewhere a plain match; :class:`ArticleWord` counts the
articles holding each word. :class:`SuggestionEvent` counts what the report form's
suggestions did: shown to a resident, and whether that resident then left without filing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    class Audience(models.TextChoices):
        PUBLIC = "public", _("Public: residents may read it")
        INTERNAL = "internal", _("Internal: staff and operators only")

    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"), max_length=5000)
    category = models.ForeignKey(
        "issues.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisation = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="articles",
    )
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.PUBLIC
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    # The segmented words (coordination.knowledge.text.tokens), separated by spaces: of the
    # question alone (matches there weigh more), and of the question, the answer and the
    # category's names. On PostgreSQL a generated column holds them as a tsvector, the
    # question's words weighted A (migration 0002), under a GIN index.
    search_question = models.TextField(blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    review_note = models.TextField(_("reviewer's note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        indexes = [
            models.Index(fields=["status", "category"], name="knowledge_status_category"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="knowledge_article_valid_period",
                violation_error_message=_("The end of validity must not come before its start."),
            ),
        ]

    def __str__(self) -> str:
        return self.question

    def valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class ArticleVersion(models.Model):
    """One step of an article's history: what it said after the step, who took it, and why.
    Rows are only ever added."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Written")
        EDITED = "edited", _("Edited")
        SUBMITTED = "submitted", _("Submitted for review")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Sent back")
        RETIRED = "retired", _("Retired")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("step"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Article.Status.choices)
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))
    category_id_then = models.IntegerField(null=True, blank=True)
    audience = models.CharField(_("audience"), max_length=16, choices=Article.Audience.choices)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version} {self.kind}"


class ArticleWord(models.Model):
    """How many articles (of any status) hold a word, kept as they are written: how rare a
    word is (its idf) weighs its match in search. The empty word counts the articles."""

    word = models.CharField(max_length=100, primary_key=True)
    articles = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.word}: {self.articles}"


class SuggestionEvent(models.Model):
    """What the report form's suggestions did for one resident's visit (``visit``: a random
    token of the page view): shown (the articles offered), then, at most once each, filed
    anyway or left without filing having opened an answer (a filing the answer stopped)."""

    class Kind(models.TextChoices):
        SHOWN = "shown", _("Answers shown")
        OPENED = "opened", _("An answer opened")
        FILED = "filed", _("Filed anyway")
        NOT_FILED = "not_filed", _("Left without filing")

    visit = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "kind"],
                condition=models.Q(kind__in=["filed", "not_filed"]),
                name="knowledge_suggestion_outcome_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit} {self.kind}"
