"""Benchmark of knowledge-base search: ``python -m bench.knowledge`` from the project root.

Searches ``--articles`` published articles (default 10,000; the goal: p95 under 50 ms) as the
call-takers' console, the report form's suggestions and ``GET /api/v1/knowledge/search/`` do
(``coordination.knowledge.search.search``): jieba's words of the query, PostgreSQL full-text
search ('simple' configuration, the GIN index on the segmented column), the best 100 ranked
again in Python.

The articles, on a PostgreSQL database of its own (``--database-url``, default
``bench_knowledge``, created and migrated when missing, seeded once per size): the thirty
hotline answers of ``tests/knowledge/corpus.py`` and, for the rest, real residents' messages
from ``../shared/data`` (subject as the question, body as the answer; generated sentences
when the data is absent). The queries: the callers' thirty questions of the corpus (also
counted: the expected article in the top three, among all the others) and ``--queries``
subjects of other messages.

Progress goes to stderr; the last line on stdout is one JSON object: ``articles``,
``queries``, ``p50_ms``, ``p95_ms``, ``max_ms``, ``queries_per_search``, ``top3_hits`` and
``top3_of``, ``goal_ms``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import worlds

GOAL_MS = 50
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_knowledge"
PROTECTED = {"postgres", "root", "template0", "template1"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ensure_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in PROTECTED or name.startswith("test"):
        raise SystemExit(f"refusing to use the database {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
                log(f"created the database {name}")
    finally:
        connection.close()


def seed(*, articles: int, seed_value: int, data_dir: Path) -> None:
    from agencies.models import Agency
    from coordination.knowledge.models import Article
    from coordination.knowledge.services import search_words_of, words_rebuild
    from tests.knowledge.corpus import ARTICLES

    Article.objects.all().delete()
    agency, _ = Agency.objects.get_or_create(
        code="bench-knowledge", defaults={"name_zh": "知识库单位", "name_en": "Knowledge"}
    )
    texts, source = worlds.load_texts(articles, seed_value, data_dir)
    if len(texts) < articles:  # the real messages run out: generated sentences for the rest
        texts += worlds.generated_texts(articles - len(texts), seed_value)
    rows = []
    for question, answer in ARTICLES.values():
        rows.append((question, answer))
    for item in texts[: max(0, articles - len(rows))]:
        subject, _, body = item.text.partition("\n")
        rows.append((subject[:300], body or subject))
    objects = []
    for q, a in rows:
        asked, words = search_words_of(question=q, answer=a, category=None)
        objects.append(
            Article(
                question=q,
                answer=a,
                organisation=agency,
                status=Article.Status.PUBLISHED,
                search_question=asked,
                search_text=words,
            )
        )
    Article.objects.bulk_create(objects, batch_size=1000)
    words_rebuild()
    log(f"seeded {len(objects)} articles ({source} texts)")


def measure(*, queries: int, seed_value: int, data_dir: Path) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coordination.knowledge.models import Article
    from coordination.knowledge.search import search
    from tests.knowledge.corpus import ARTICLES, QUERIES

    by_question = dict(
        Article.objects.filter(question__in=[q for q, _a in ARTICLES.values()]).values_list(
            "question", "pk"
        )
    )
    expected = {key: by_question[q] for key, (q, _a) in ARTICLES.items()}
    texts, _source = worlds.load_texts(queries, seed_value + 1, data_dir)
    asked = [(q, expected[key]) for q, key in QUERIES] + [
        (t.text.partition("\n")[0][:60], None) for t in texts[:queries]
    ]
    search("预热 停水")  # load jieba's dictionary and warm the connection
    timings, per_search, hits = [], [], 0
    for query, want in asked:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            found = search(query, limit=3)
            timings.append((time.perf_counter() - started) * 1000)
        per_search.append(len(captured.captured_queries))
        if want is not None and want in [h.article.pk for h in found]:
            hits += 1
    timings.sort()
    return {
        "articles": Article.objects.count(),
        "queries": len(asked),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max_ms": round(timings[-1], 2),
        "queries_per_search": max(per_search),
        "top3_hits": hits,
        "top3_of": len(QUERIES),
        "goal_ms": GOAL_MS,
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.knowledge", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--data", type=Path, default=worlds.DATA_DIR)
    args = parser.parse_args(argv)
    _ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_gov.settings")
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()
    from django.core.management import call_command

    from coordination.knowledge.models import Article

    call_command("migrate", interactive=False, verbosity=0)
    if args.reseed or Article.objects.count() != args.articles:
        started = time.perf_counter()
        seed(articles=args.articles, seed_value=args.seed, data_dir=args.data)
        log(f"seeded in {round(time.perf_counter() - started, 1)} s")
    with django.db.connection.cursor() as cursor:
        cursor.execute("ANALYZE knowledge_article")
    random.seed(args.seed)
    result = measure(queries=args.queries, seed_value=args.seed, data_dir=args.data)
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
