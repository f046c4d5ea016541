"""Search the published articles: the words of the query (``text.query_tokens``) against the
segmented ``search_text``.

On PostgreSQL, full-text search with the 'simple' configuration (no stemming: the words are
jieba's already) over the GIN index on ``to_tsvector('simple', search_text)``, any word
matching, the best ``CANDIDATES`` by ``ts_rank``; elsewhere (SQLite) any word as a substring.
Then the candidates are ranked here the same way on both: each query word found counts by how
rare it is among the candidates (a word in every article tells none apart) and by how often
the article says it (up to three times: the question is stored twice, so it weighs more).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Article
from .text import query_tokens

CANDIDATES = 100
TF_CAP = 3


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


def _candidates(articles: QuerySet[Article], words: list[str]) -> list[Article]:
    if connection.vendor == "postgresql":
        table = Article._meta.db_table
        vector = f'to_tsvector(\'simple\', "{table}"."search_text")'
        query = " | ".join(f"'{w}'" for w in words)  # words are \w only: nothing to escape
        return list(
            articles.extra(  # noqa: S610 (fixed SQL; the query is a parameter)
                select={"rank": f"ts_rank({vector}, to_tsquery('simple', %s))"},
                select_params=[query],
                where=[f"{vector} @@ to_tsquery('simple', %s)"],
                params=[query],
                order_by=["-rank", "-id"],
            ).select_related("category")[:CANDIDATES]
        )
    match = Q()
    for word in words:
        match |= Q(search_text__icontains=word)
    return list(articles.filter(match).select_related("category").order_by("-id")[: CANDIDATES * 5])


def search(text: str, *, articles: QuerySet[Article] | None = None, limit: int = 10) -> list[Hit]:
    """The articles of ``articles`` (default: the live public ones) best answering ``text``,
    best first; nothing for a query with no searchable word."""
    words = query_tokens(text)
    if not words:
        return []
    articles = live_articles() if articles is None else articles
    found = _candidates(articles, words)
    if not found:
        return []
    counts = [Counter(a.search_text.split()) for a in found]
    df = {w: sum(1 for c in counts if w in c) for w in words}
    n = len(found)
    hits = []
    for article, count in zip(found, counts, strict=True):
        score = sum(
            math.log(1 + n / df[w]) * (1 + math.log(min(count[w], TF_CAP)))
            for w in words
            if count.get(w)
        )
        if score > 0:
            hits.append(Hit(article=article, score=round(score, 4)))
    hits.sort(key=lambda h: (-h.score, -h.article.pk))
    return hits[:limit]
