"""Search the published articles: the words of the query (``text.query_tokens``) against the
segmented words of each article.

Each query word found counts by how rare it is (idf: a word in every article tells none
apart), twice when the article's question holds it; the sum shrinks slowly with the
article's length. On PostgreSQL the database does it all
over the GIN index of the generated ``search_vector`` (migration 0002): the live articles
holding any of the query's rarest words, scored and cut there. Elsewhere (SQLite) the
articles holding any word as a substring are scored here. Either way one query first reads
how many articles hold each word (``ArticleWord``, kept as articles are written).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Article, ArticleWord
from .text import query_tokens

FALLBACK_CANDIDATES = 2000
# PostgreSQL: the rarest words scored; the length (in distinct words) past which an
# article's score shrinks, slowly (a long text holds many words by chance).
SCORED_WORDS = 6
CANDIDATES = 600
LENGTH_SCALE = 40.0
TABLE = Article._meta.db_table


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float


def live_articles(*, day: date | None = None, internal: bool = False) -> QuerySet[Article]:
    """Published articles valid on ``day`` (today): public ones, and internal ones too when
    ``internal`` (staff, operators, the dispatcher)."""
    day = day or timezone.localdate()
    found = Article.objects.filter(status=Article.Status.PUBLISHED).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=day),
        Q(valid_to__isnull=True) | Q(valid_to__gte=day),
    )
    if not internal:
        found = found.filter(audience=Article.Audience.PUBLIC)
    return found


def _idf(total: int, holding: int) -> float:
    return math.log(1 + total / max(holding, 1))


def _weights(words: list[str]) -> tuple[dict[str, float], dict[str, int]]:
    """Each word's idf, and how many articles hold it, from the counts kept as articles are
    written (one query)."""
    held = dict(ArticleWord.objects.filter(word__in=[*words, ""]).values_list("word", "articles"))
    total = held.pop("", 0)
    held = {w: n for w, n in held.items() if n > 0}
    return {w: _idf(total, n) for w, n in held.items()}, held


def _search_postgresql(
    articles: QuerySet[Article], weights: dict[str, float], held: dict[str, int], limit: int
) -> list[Hit]:
    # The rarest words that any article holds score (common ones tell little and cost time);
    # the articles holding one of the rarest, about CANDIDATES of them, are scored in the
    # database. Words are \w only (text.tokens): quoted as lexemes, nothing to escape.
    scored = sorted(weights, key=lambda w: held[w])[:SCORED_WORDS]
    matching, reached = [], 0
    for word in scored:
        if matching and reached + held[word] > CANDIDATES:
            break
        matching.append(word)
        reached += held[word]
    terms = " + ".join(
        "(CASE WHEN search_vector @@ %s::tsquery THEN %s ELSE 0 END)"
        " + (CASE WHEN search_vector @@ %s::tsquery THEN %s ELSE 0 END)"
        for _ in scored
    )
    params: list = []
    for word in scored:
        params += [f"'{word}'", weights[word], f"'{word}':A", weights[word]]
    found = list(
        articles.extra(  # noqa: S610 (fixed SQL; every value is a parameter)
            select={"score": f"({terms}) / ln(2.718 + length(search_vector) / %s)"},
            select_params=[*params, LENGTH_SCALE],
            where=["search_vector @@ %s::tsquery"],
            params=[" | ".join(f"'{w}'" for w in matching)],
            order_by=["-score", "-id"],
        ).select_related("category")[:limit]
    )
    return [Hit(article=a, score=round(a.score, 4)) for a in found]


def _search_fallback(
    articles: QuerySet[Article], words: list[str], weights: dict[str, float], limit: int
) -> list[Hit]:
    words = [w for w in words if w in weights]
    match = Q()
    for word in words:
        match |= Q(search_text__icontains=word)
    found = list(
        articles.filter(match).select_related("category").order_by("-id")[:FALLBACK_CANDIDATES]
    )
    texts = [(set(a.search_question.split()), set(a.search_text.split())) for a in found]
    hits = []
    for article, (asked, holds) in zip(found, texts, strict=True):
        score = sum(weights[w] * ((w in holds) + (w in asked)) for w in words)
        score /= math.log(math.e + len(holds) / LENGTH_SCALE)
        if score > 0:
            hits.append(Hit(article=article, score=round(score, 4)))
    hits.sort(key=lambda h: (-h.score, -h.article.pk))
    return hits[:limit]


def search(text: str, *, articles: QuerySet[Article] | None = None, limit: int = 10) -> list[Hit]:
    """The articles of ``articles`` (default: the live public ones) best answering ``text``,
    best first; nothing for a query with no searchable word."""
    words = query_tokens(text)
    if not words:
        return []
    articles = live_articles() if articles is None else articles
    weights, held = _weights(words)
    if not weights:
        return []
    if connection.vendor == "postgresql":
        return _search_postgresql(articles, weights, held, limit)
    return _search_fallback(articles, words, weights, limit)
