"""Issues into hot issues as they arrive: the one writer of the clusterer's state.

The engine (``coordination.hot.engine``) clusters in memory, one message at a time, in the
order of filing. Here it meets the database:

- **One writer.** Every write locks the ``HotState`` row first (``select_for_update``; on
  SQLite the write transaction itself is the lock), so however many workers run the tasks,
  one adds at a time and in order. The tasks go to their own queue (``hot``) so that one
  worker with concurrency 1 normally does all of it, and keeps the clusterer in memory.
- **Memory, checked.** The clusterer a process keeps is used only while the state row's
  ``stamp`` is the one that process wrote last; any other writer, or a rolled-back
  transaction, leaves another stamp, and the clusterer is loaded afresh from the rows (the
  open hot issues' states, the document frequencies, the counters).
- **Written as it goes.** After each batch only what changed is written
  (``Clusterer.take_changes``): the terms whose frequency moved, the hot issues that grew or
  merged, the new members; closed hot issues are forgotten in memory (their rows are final).
- **In order, nothing twice.** A run takes the issues not yet clustered in (filing time, id)
  order, starting a little (``LATE_MARGIN``) before the latest one clustered, so an issue
  whose filing committed late is still taken; the sweep looks back over the whole window.
  An issue is clustered once (its ``HotMember`` row is the proof), so a task delivered twice
  does nothing the second time.

Incremental is batch: the engine guarantees it for one order of messages, and this module
feeds it the same order a batch run (``hot_rebuild``) does.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from issues.models import Category, Issue

from ..engine import SNAPSHOT_VERSION, Clusterer, Config, Message
from ..identity import issue_author
from ..models import HotIssue, HotMember, HotState, HotTerm, Support
from ..places import Places, cell_of, city_places

logger = logging.getLogger(__name__)

# Filings commit in about their order of time; one that commits this much later than a
# later one is still taken by the next run (the sweep covers the whole window).
LATE_MARGIN = timedelta(minutes=10)
BATCH_SIZE = 500
# A hot issue needs this many complaints for its heat and growth to be refreshed as time
# passes (a single complaint is on no board).
REFRESH_MIN_SIZE = 2

_HOT_ISSUE_FIELDS = [
    "state",
    "label",
    "keywords",
    "size",
    "people",
    "supports",
    "first_at",
    "last_at",
    "heat",
    "growth",
    "recent",
    "measured_at",
    "lat",
    "lon",
    "areas",
    "categories",
    "is_open",
    "merged_into",
    "updated_at",
]


def platform_config() -> Config:
    """The engine's parameters: ``Config``'s defaults (tuned with ``python -m bench.hot``),
    with the ``HOT_CONFIG`` setting's overrides."""
    return Config.from_dict({**Config().to_dict(), **getattr(settings, "HOT_CONFIG", {})})


# ------------------------------------------------------------------------ the clusterer


@dataclass
class _Memory:
    stamp: str
    clusterer: Clusterer


_memory: _Memory | None = None
# Threads of one process (the development server) take turns here before the row lock.
_process_lock = threading.RLock()


def _locked_state() -> HotState:
    """The state row, locked for the rest of the transaction (made on first use)."""
    state = HotState.objects.select_for_update().filter(pk=HotState.SINGLETON).first()
    if state is None:
        try:
            with transaction.atomic():
                HotState.objects.create(pk=HotState.SINGLETON, config=platform_config().to_dict())
        except IntegrityError:
            pass  # another writer made it first
        state = HotState.objects.select_for_update().get(pk=HotState.SINGLETON)
    return state


def _load(state: HotState) -> Clusterer:
    """The clusterer as the rows describe it (open hot issues only: closed ones are final)."""
    config = Config.from_dict(state.config) if state.config else platform_config()
    snapshot = {
        "version": SNAPSHOT_VERSION,
        "config": config.to_dict(),
        "documents": state.documents,
        "df": dict(HotTerm.objects.values_list("term", "df").iterator(chunk_size=20_000)),
        "watermark": state.watermark.isoformat() if state.watermark else None,
        "next_id": state.next_id,
        "clusters": list(
            HotIssue.objects.filter(is_open=True, merged_into__isnull=True)
            .order_by("pk")
            .values_list("state", flat=True)
        ),
    }
    return Clusterer.from_snapshot(snapshot)


def _clusterer(state: HotState) -> Clusterer:
    global _memory
    if _memory is not None and state.stamp and _memory.stamp == state.stamp:
        return _memory.clusterer
    clusterer = _load(state)
    _memory = _Memory(stamp=state.stamp, clusterer=clusterer)
    return clusterer


def forget_memory() -> None:
    """Drop the clusterer this process keeps (the next write loads it from the rows)."""
    global _memory
    _memory = None


def _hot_issue_row(clusterer: Clusterer, cid: int, as_of: datetime, now: datetime) -> HotIssue:
    summary = clusterer.summary(cid, as_of)
    state = clusterer.state(cid)
    lat, lon, located = state.geo
    return HotIssue(
        id=cid,
        state=state.to_dict(),
        label=summary.label[:200],
        keywords=list(summary.keywords),
        size=summary.size,
        people=summary.people,
        supports=summary.support,
        first_at=summary.first,
        last_at=summary.last,
        heat=summary.heat,
        growth=summary.growth,
        recent=summary.recent,
        measured_at=as_of,
        lat=lat / located if located else None,
        lon=lon / located if located else None,
        areas=[codes[-1] for codes in summary.areas if codes],
        categories=list(summary.categories),
        is_open=clusterer.is_open(cid),
        merged_into=None,
        updated_at=now,
    )


def _write(state: HotState, clusterer: Clusterer, *, now: datetime) -> None:
    """Write what changed, stamp the state, and forget closed clusters in memory (their rows
    are final). Merged-away clusters are the caller's (``_move_gone``)."""
    changes = clusterer.take_changes()
    if changes.df:
        HotTerm.objects.bulk_create(
            [HotTerm(term=term, df=df) for term, df in changes.df.items()],
            update_conflicts=True,
            unique_fields=["term"],
            update_fields=["df"],
            batch_size=1000,
        )
    as_of = max(now, changes.watermark) if changes.watermark else now
    if changes.clusters:
        HotIssue.objects.bulk_create(
            [_hot_issue_row(clusterer, cid, as_of, now) for cid in changes.clusters],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=_HOT_ISSUE_FIELDS,
            batch_size=200,
        )
    if changes.watermark is not None:
        horizon = changes.watermark - timedelta(days=clusterer.config.window_days)
        HotIssue.objects.filter(is_open=True, last_at__lt=horizon).update(is_open=False)
    state.documents = changes.documents
    state.watermark = changes.watermark
    state.next_id = changes.next_id
    state.stamp = uuid.uuid4().hex
    state.save()
    # The memory matches the rows from now on; if this transaction rolls back, the stamp in
    # the database stays the old one and the next write loads afresh.
    global _memory
    _memory = _Memory(stamp=state.stamp, clusterer=clusterer)
    clusterer.prune()


def _move_gone(merges: dict[int, int], *, now: datetime) -> dict[int, int]:
    """Merged clusters: their members and topics move to the survivor; their rows stay,
    pointing to it. ``merges`` is gone → absorbing id, in order; returns gone → final."""
    from .topics import topics_follow_merge

    final: dict[int, int] = {}
    for gone in merges:
        target = merges[gone]
        seen = {gone}
        while target in merges and target not in seen:
            seen.add(target)
            target = merges[target]
        final[gone] = target
    for gone, survivor in final.items():
        HotMember.objects.filter(hot_issue_id=gone).update(hot_issue_id=survivor)
        HotIssue.objects.filter(pk=gone).update(
            is_open=False, merged_into_id=survivor, state={}, updated_at=now
        )
    topics_follow_merge(final)
    return final


# ------------------------------------------------------------------------ issues → messages


def category_roots() -> dict[int, tuple[int, str]]:
    """Category id → (id, code) of its top-level category: the coarse category the engine
    and the warnings count by."""
    rows = {
        pk: (code, parent)
        for pk, code, parent in Category.objects.values_list("pk", "code", "parent_id")
    }
    roots: dict[int, tuple[int, str]] = {}
    for pk in rows:
        node, hops = pk, 0
        while rows[node][1] is not None and rows[node][1] in rows and hops < 10:
            node, hops = rows[node][1], hops + 1
        roots[pk] = (node, rows[node][0])
    return roots


def issue_message(
    issue: Issue,
    *,
    places: Places,
    roots: dict[int, tuple[int, str]],
    supports: int = 0,
) -> Message:
    """The engine's view of an issue: title, description, filing time, place and the areas
    containing it, the top-level category, supports, and the reporter as a pseudonym."""
    root = roots.get(issue.category_id) if issue.category_id else None
    return Message(
        id=issue.pk,
        title=issue.title,
        text=issue.description,
        at=issue.created_at,
        lat=issue.lat,
        lon=issue.lon,
        areas=places.containing(issue.lat, issue.lon),
        category=root[1] if root else None,
        support=supports,
        author=issue_author(issue),
    )


def _pending(*, since: datetime | None, limit: int) -> list[Issue]:
    issues = Issue.objects.filter(hot_member__isnull=True)
    if since is not None:
        issues = issues.filter(created_at__gte=since)
    return list(issues.order_by("created_at", "pk")[:limit])


def _supports_of(issue_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        Support.objects.filter(issue_id__in=list(issue_ids))
        .values("issue_id")
        .annotate(n=Count("id"))
        .values_list("issue_id", "n")
    )


@dataclass(frozen=True)
class Run:
    """What a run of the writer did: issues clustered, hot issues merged."""

    clustered: int = 0
    merged: int = 0

    def __add__(self, other: Run) -> Run:
        return Run(self.clustered + other.clustered, self.merged + other.merged)


def hot_assign_pending(
    *, since: datetime | None = None, batch_size: int = BATCH_SIZE, max_batches: int = 20
) -> Run:
    """Cluster the issues not clustered yet, oldest first, as the one writer.

    ``since`` looks back to that filing time (default: ``LATE_MARGIN`` before the latest
    issue clustered; the first run takes every issue). Each batch of ``batch_size`` is one
    transaction: its hot issues, members, topic proposals (``topics``) and early warnings
    (``warnings``) commit together. Safe to run twice and at once.
    """
    total = Run()
    for _ in range(max_batches):
        run = _assign_batch(since=since, batch_size=batch_size)
        total += run
        if run.clustered < batch_size:
            break
    return total


def _assign_batch(*, since: datetime | None, batch_size: int) -> Run:
    from .topics import topics_propose_new_members
    from .warnings import warnings_evaluate

    with _process_lock, transaction.atomic():
        state = _locked_state()
        if since is None and state.cursor_at is not None:
            since = state.cursor_at - LATE_MARGIN
        issues = _pending(since=since, limit=batch_size)
        if not issues:
            return Run()
        try:
            clusterer = _clusterer(state)
            places = city_places()
            roots = category_roots()
            supports = _supports_of(i.pk for i in issues)
            now = timezone.now()
            merges: dict[int, int] = {}
            placed: list[tuple[Issue, tuple[str, ...], float, tuple[str, ...]]] = []
            for issue in issues:
                message = issue_message(
                    issue, places=places, roots=roots, supports=supports.get(issue.pk, 0)
                )
                assignment = clusterer.add(message)
                for gone in assignment.merged:
                    merges[gone] = assignment.cluster_id
                placed.append((issue, message.areas, assignment.similarity, assignment.reasons))
            final = {issue.pk: clusterer.cluster_of(issue.pk) for issue, *_ in placed}
            first_position = state.documents + 1
            _write(state, clusterer, now=now)
            moved = _move_gone(merges, now=now) if merges else {}
            members = [
                HotMember(
                    issue=issue,
                    hot_issue_id=final[issue.pk],
                    at=issue.created_at,
                    position=first_position + n,
                    similarity=similarity,
                    reasons=list(reasons),
                    area_id=places.ids.get(places.finest(areas) or ""),
                    category_id=roots[issue.category_id][0] if issue.category_id else None,
                    lat=issue.lat,
                    lon=issue.lon,
                    cell=cell_of(issue.lat, issue.lon),
                    supports=supports.get(issue.pk, 0),
                    joined_at=now,
                )
                for n, (issue, areas, similarity, reasons) in enumerate(placed)
            ]
            HotMember.objects.bulk_create(members, batch_size=500)
            latest = max(issue.created_at for issue in issues)
            if state.cursor_at is None or latest > state.cursor_at:
                state.cursor_at = latest
                state.save(update_fields=["cursor_at", "updated_at"])
            topics_propose_new_members(members, now=now)
            warnings_evaluate(members=members, now=now)
        except BaseException:
            forget_memory()
            raise
    return Run(clustered=len(issues), merged=len(moved))


def hot_sweep(*, now: datetime | None = None) -> Run:
    """Cluster every issue of the window not clustered yet (the beat's sweep: an issue
    whose task was lost, filed while the broker was down)."""
    now = now or timezone.now()
    window = timedelta(days=platform_config().window_days)
    return hot_assign_pending(since=now - window)


def hot_supports_sync(*, issue_ids: Iterable[int]) -> int:
    """Bring the supports of these issues into their hot issues' heat (as the one writer).

    A support of an issue whose hot issue has closed is counted on the issue, not in any
    heat (the engine forgets closed hot issues). Returns the hot issues changed.
    """
    issue_ids = sorted(set(issue_ids))
    with _process_lock, transaction.atomic():
        state = _locked_state()
        try:
            clusterer = _clusterer(state)
            counts = _supports_of(issue_ids)
            changed = 0
            for member in HotMember.objects.filter(issue_id__in=issue_ids):
                count = counts.get(member.issue_id, 0)
                if member.supports != count:
                    member.supports = count
                    member.save(update_fields=["supports"])
                try:
                    clusterer.set_support(member.issue_id, count)
                except KeyError:
                    continue
                changed += 1
            _write(state, clusterer, now=timezone.now())
        except BaseException:
            forget_memory()
            raise
    return changed


def hot_refresh(*, now: datetime | None = None) -> int:
    """Measure heat and growth of the open hot issues again as of ``now``: heat decays and
    complaints leave the recent days as time passes, though nothing new arrives. Returns the
    hot issues measured."""
    now = now or timezone.now()
    with _process_lock, transaction.atomic():
        state = _locked_state()
        try:
            clusterer = _clusterer(state)
            as_of = max(now, state.watermark) if state.watermark else now
            rows = list(
                HotIssue.objects.filter(
                    is_open=True, merged_into__isnull=True, size__gte=REFRESH_MIN_SIZE
                ).only("pk")
            )
            measured = []
            for row in rows:
                if not clusterer.is_open(row.pk):
                    continue
                summary = clusterer.summary(row.pk, as_of)
                row.heat, row.growth, row.recent = summary.heat, summary.growth, summary.recent
                row.measured_at = as_of
                measured.append(row)
            HotIssue.objects.bulk_update(
                measured, ["heat", "growth", "recent", "measured_at"], batch_size=500
            )
            state.measured_at = now
            state.save(update_fields=["measured_at", "updated_at"])
        except BaseException:
            forget_memory()
            raise
    return len(measured)


def hot_rebuild(*, config: Config | None = None, progress=None) -> Run:
    """Cluster every issue again from the start, in order of filing, with ``config`` (the
    platform's by default): after a change of parameters, or to check that the incremental
    result is the batch one. Hot issues get new ids after the highest one used, so old links
    never point to another problem; topics keep their members and follow their issues into
    the new hot issues. ``progress(done, total)`` is called after each batch.
    """
    from .topics import topics_relink_hot_issues

    config = config or platform_config()
    with _process_lock, transaction.atomic():
        state = _locked_state()
        first_id = (HotIssue.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        HotIssue.topics.through.objects.all().delete()
        HotMember.objects.all().delete()
        HotIssue.objects.update(merged_into=None)
        HotIssue.objects.all().delete()
        HotTerm.objects.all().delete()
        state.config = config.to_dict()
        state.documents = 0
        state.watermark = None
        state.next_id = first_id
        state.cursor_at = None
        state.stamp = ""
        state.save()
        forget_memory()
    total = Run()
    count = Issue.objects.count()
    while True:
        run = _assign_batch(since=None, batch_size=BATCH_SIZE)
        total += run
        if progress:
            progress(total.clustered, count)
        if run.clustered < BATCH_SIZE:
            break
    topics_relink_hot_issues()
    return total
