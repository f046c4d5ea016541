"""The incremental clusterer: joins each message to the open cluster it is most like (or opens
one), merges clusters that meet, expires old ones, and keeps its whole state as plain data."""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from .evidence import (
    Evidence,
    _add_counts,
    _Features,
    _Open,
    _top,
)
from .model import (
    SNAPSHOT_VERSION,
    Assignment,
    Changes,
    Cluster,
    ClusterState,
    Config,
    Message,
    MessageId,
)


class Clusterer(Evidence):
    """Incremental clustering of messages into hot issues (see the module docstring)."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self._documents = 0
        self._df: dict[str, int] = {}
        self._watermark: datetime | None = None
        self._next_id = 1
        self._states: dict[int, ClusterState] = {}
        self._member_of: dict[MessageId, int] = {}
        self._open: dict[int, _Open] = {}
        self._index: dict[str, set[int]] = {}
        self._expiry: list[tuple[datetime, int]] = []  # (last, id); stale entries skipped
        # What changed since the last take_changes(): for incremental persistence.
        self._dirty_terms: set[str] = set()
        self._dirty: set[int] = set()
        self._gone: set[int] = set()

    @property
    def watermark(self) -> datetime | None:
        """The time of the latest message seen."""
        return self._watermark

    # -- the one operation ---------------------------------------------------------------

    def add(self, message: Message) -> Assignment:
        """Assign ``message`` to the best open cluster, or open a new one; update the state.

        Raises ValueError if a message with this id was added before.
        """
        if message.id in self._member_of:
            raise ValueError(f"message {message.id!r} was already added")
        config = self.config
        if self._watermark is None or message.at > self._watermark:
            self._watermark = message.at
        self._expire()
        features = self._features(message)

        window = timedelta(days=config.window_days)
        candidates: set[int] = set()
        for term in features.query:
            candidates.update(self._index.get(term, ()))
        passed: list[tuple[tuple[float, datetime, int], tuple[str, ...]]] = []
        rejected: list[str] = []
        vector = features.vector
        for cid in sorted(candidates):
            entry = self._open[cid]
            gap = max(entry.first - message.at, message.at - entry.last, timedelta(0))
            if gap > window:
                continue
            state = entry.state
            centroid = state.centroid
            dot = sum(w * centroid.get(t, 0.0) for t, w in vector.items())
            similarity = dot / math.sqrt(state.norm2) if state.norm2 > 0 else 0.0
            if similarity < config.threshold:
                continue
            apart, needed, place_reasons = self._compare(features.where, entry.where)
            if apart:
                rejected.append(f"cluster {cid} similar ({similarity:.2f}) but {apart}")
                continue
            if similarity < needed:
                rejected.append(
                    f"cluster {cid} similar ({similarity:.2f}), below the {needed:g} needed "
                    + (
                        "with only a road in common"
                        if needed == config.threshold_road
                        else "without a place in common"
                    )
                )
                continue
            days = gap.total_seconds() / 86400
            reasons = (
                f"text similarity {similarity:.2f} >= {needed:g}",
                f"within the time window: {days:.1f} days from the cluster",
                *place_reasons,
            )
            passed.append(((similarity, entry.last, -cid), reasons))

        if passed:
            passed.sort(reverse=True)
            (similarity, _, negative_id), reasons = passed[0]
            target = self._open[-negative_id]
            self._join(target, message, features)
            gone: list[int] = []
            for (_, _, other_id), _ in passed[1:]:
                other = self._open[-other_id]
                if self._mergeable(target, other):
                    before = (target.state.id, other.state.id)
                    target = self._merge(target, other)
                    gone.extend(i for i in before if i != target.state.id)
            if gone:
                reasons = (
                    *reasons,
                    f"bridges similar clusters: {', '.join(map(str, sorted(gone)))} "
                    f"merged into {target.state.id}",
                )
            return Assignment(
                target.state.id, round(similarity, 6), reasons, merged=tuple(sorted(gone))
            )

        cid = self._next_id
        self._next_id += 1
        state = ClusterState(id=cid)
        self._states[cid] = state
        entry = _Open(state=state, first=message.at, last=message.at)
        self._open[cid] = entry
        self._join(entry, message, features)
        if rejected:
            why = tuple(rejected[:3])
        elif candidates:
            why = (f"no open cluster within {config.window_days:g} days is similar enough",)
        else:
            why = ("no open cluster shares its terms",)
        return Assignment(cid, 1.0, ("opens a new cluster", *why), new=True)

    # -- reading ---------------------------------------------------------------------------

    def clusters(self, as_of: datetime | None = None, *, min_size: int = 1) -> list[Cluster]:
        """Every cluster of at least ``min_size`` members, hottest first (then size, id).

        ``as_of`` (default: the watermark) is the time heat and growth are measured at.
        """
        out = [
            self.summary(cid, as_of)
            for cid, state in self._states.items()
            if len(state.members) >= min_size
        ]
        out.sort(key=lambda c: (-c.heat, -c.size, c.id))
        return out

    def cluster_of(self, message_id: MessageId) -> int | None:
        """The id of the cluster holding message ``message_id``, if it was added."""
        return self._member_of.get(message_id)

    def is_open(self, cluster_id: int) -> bool:
        """Whether a message may still join cluster ``cluster_id`` (it is in the window)."""
        return cluster_id in self._open

    def prune(self) -> list[int]:
        """Forget the closed clusters, whose states are final (persist them first).

        Returns their ids. What comes next is unchanged: no message can join them again.
        """
        closed = sorted(cid for cid in self._states if cid not in self._open)
        for cid in closed:
            for member in self._states.pop(cid).members:
                del self._member_of[member[0]]
        return closed

    def set_support(self, message_id: MessageId, support: int, against: int | None = None) -> int:
        """Set the "me too" count (and, if given, the dislikes) of an added message.

        Returns the id of its cluster. Raises KeyError for a message this clusterer does not
        hold (never added, or in a closed cluster that was pruned or left out of the
        snapshot): a support that comes after its hot issue closed changes no heat.
        """
        cid = self._member_of[message_id]
        state = self._states[cid]
        for i, (mid, at, old_support, old_against, voice) in enumerate(state.members):
            if mid == message_id:
                new_against = old_against if against is None else int(against)
                if (old_support, old_against) != (int(support), new_against):
                    state.members[i] = (mid, at, int(support), new_against, voice)
                    self._dirty.add(cid)
                break
        return cid

    def take_changes(self) -> Changes:
        """What changed since the last call (or since this clusterer was made), and forget it.

        Persist the changed clusters (``state``) and document frequencies, drop the rows of
        the ``gone`` clusters, and store the counters; then ``from_snapshot`` of what was
        stored continues as this clusterer would. Call it before ``prune``.
        """
        changes = Changes(
            documents=self._documents,
            watermark=self._watermark,
            next_id=self._next_id,
            df={term: self._df[term] for term in sorted(self._dirty_terms)},
            clusters=tuple(sorted(cid for cid in self._dirty if cid in self._states)),
            gone=tuple(sorted(self._gone)),
        )
        self._dirty_terms = set()
        self._dirty = set()
        self._gone = set()
        return changes

    def state(self, cluster_id: int) -> ClusterState:
        """The state of one cluster, for the Django layer to persist."""
        return self._states[cluster_id]

    def summary(self, cluster_id: int, as_of: datetime | None = None) -> Cluster:
        """Cluster ``cluster_id`` as of ``as_of`` (default: the watermark)."""
        config = self.config
        state = self._states[cluster_id]
        as_of = as_of or self._watermark or state.last
        heat = 0.0
        recent = before = 0
        recent_from = as_of - timedelta(days=config.recent_days)
        window_from = as_of - timedelta(days=config.window_days)
        voices: set[str] = set()
        for _, at, support, against, voice in state.members:  # in order of time
            if at > as_of:
                continue
            age = (as_of - at).total_seconds() / 86400
            decay = 1.0 if config.half_life_days is None else 0.5 ** (age / config.half_life_days)
            heat += decay * ((voice not in voices) + math.log1p(max(0, support - against)))
            voices.add(voice)
            if at > recent_from:
                recent += 1
            elif at > window_from:
                before += 1
        growth = (recent / config.recent_days) / (
            max(before, 1) / (config.window_days - config.recent_days)
        )
        named = Counter(state.places).most_common(5)
        places = tuple(p for p, _ in named)
        # The label names a place only if it is the cluster's: in the titles of a quarter
        # of the members or the bodies of half (title mentions count twice).
        keywords = self._keywords(
            state, places if named and named[0][1] >= len(state.members) / 2 else ()
        )
        return Cluster(
            id=state.id,
            members=tuple(m[0] for m in state.members),
            size=len(state.members),
            people=len({m[4] for m in state.members}),
            first=state.first,
            last=state.last,
            label=" ".join(keywords),
            keywords=keywords,
            places=places,
            districts=tuple(d for d, _ in Counter(state.districts).most_common(3)),
            areas=tuple(tuple(a.split("/")) for a, _ in Counter(state.areas).most_common(3)),
            categories=tuple(c for c, _ in Counter(state.categories).most_common(3)),
            support=sum(m[2] for m in state.members),
            against=sum(m[3] for m in state.members),
            heat=round(heat, 6),
            growth=round(growth, 6),
            recent=recent,
            before=before,
        )

    # -- persistence -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-ready plain data; ``from_snapshot`` rebuilds it.

        ``clusters`` holds one ``ClusterState.to_dict()`` per cluster; the rest (config,
        document frequencies, watermark, next id) belongs to the clusterer as a whole.
        """
        return {
            "version": SNAPSHOT_VERSION,
            "config": self.config.to_dict(),
            "documents": self._documents,
            "df": dict(self._df),
            "watermark": self._watermark.isoformat() if self._watermark else None,
            "next_id": self._next_id,
            "clusters": [state.to_dict() for state in self._states.values()],
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any], config: Config | None = None) -> Clusterer:
        """A clusterer that continues exactly where the snapshot's left off.

        ``data["clusters"]`` may leave out closed clusters (last message older than the
        window before the watermark): no message can join them again. ``config``
        overrides the snapshot's, and then continuity is the caller's choice.
        Raises ValueError for a snapshot of another version.
        """
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unknown snapshot version {data.get('version')!r}")
        self = cls(config or Config.from_dict(data["config"]))
        self._documents = int(data["documents"])
        self._df = {k: int(v) for k, v in data["df"].items()}
        watermark = data.get("watermark")
        self._watermark = datetime.fromisoformat(watermark) if watermark else None
        self._next_id = int(data["next_id"])
        for raw in data["clusters"]:
            state = ClusterState.from_dict(raw)
            if not state.members:
                continue
            self._states[state.id] = state
            for member in state.members:
                self._member_of[member[0]] = state.id
            entry = _Open(state=state, first=state.first, last=state.last)
            self._open[state.id] = entry
            self._reindex(entry)
            heapq.heappush(self._expiry, (entry.last, state.id))
        self._expire()
        return self

    # -- inside ----------------------------------------------------------------------------

    def _expire(self) -> None:
        """Close the clusters whose last message left the window before the watermark."""
        if self._watermark is None:
            return
        horizon = self._watermark - timedelta(days=self.config.window_days)
        while self._expiry and self._expiry[0][0] < horizon:
            last, cid = heapq.heappop(self._expiry)
            entry = self._open.get(cid)
            if entry is None or entry.last != last:
                continue  # closed or merged already, or a stale entry from before it grew
            self._unindex(entry)
            del self._open[cid]

    def _join(self, entry: _Open, message: Message, features: _Features) -> None:
        config = self.config
        state = entry.state
        member = (message.id, message.at, message.support, message.against, features.voice)
        if state.members and message.at < state.members[-1][1]:
            state.members.append(member)
            state.members.sort(key=lambda m: m[1])  # stable: arrival order within a time
        else:
            state.members.append(member)
        self._member_of[message.id] = state.id
        self._dirty.add(state.id)
        centroid = state.centroid
        vector = features.vector
        dot = sum(w * centroid.get(t, 0.0) for t, w in vector.items())
        state.norm2 += 2 * dot + sum(w * w for w in vector.values())
        for t, w in vector.items():
            centroid[t] = centroid.get(t, 0.0) + w
        if len(centroid) > 2 * config.centroid_terms:
            state.centroid = centroid = dict(_top(centroid, config.centroid_terms))
            state.norm2 = sum(w * w for w in centroid.values())
        where = features.where
        _add_counts(state.places, features.site_weights)
        _add_counts(state.area_names, ((p, 1) for p in where.area_names))
        _add_counts(state.districts, ((d, 1) for d in sorted(where.districts)))
        _add_counts(state.categories, ((c, 1) for c in sorted(where.categories)))
        _add_counts(state.areas, ((a, 1) for a in where.areas))
        _add_counts(state.words, ((w, 1) for w in features.words))
        if len(state.words) > 200:  # the label needs the frequent ones only
            state.words = dict(Counter(state.words).most_common(100))
        if where.point:
            lat, lon, count = state.geo
            state.geo = [lat + where.point[0], lon + where.point[1], count + 1]
        entry.first = min(entry.first, message.at)
        entry.last = max(entry.last, message.at)
        heapq.heappush(self._expiry, (entry.last, state.id))
        self._reindex(entry)

    def _mergeable(self, a: _Open, b: _Open) -> bool:
        """Whether two open clusters are one: similar centroids, nothing apart by place."""
        sa, sb = a.state, b.state
        if sa.norm2 <= 0 or sb.norm2 <= 0:
            return False
        small, large = sa.centroid, sb.centroid
        if len(small) > len(large):
            small, large = large, small
        dot = sum(w * large.get(t, 0.0) for t, w in small.items())
        if dot / math.sqrt(sa.norm2 * sb.norm2) < self.config.merge_threshold:
            return False
        return not self._compare(a.where, b.where)[0]

    def _merge(self, a: _Open, b: _Open) -> _Open:
        """Merge two open clusters into the one with the lower id; return the survivor."""
        keep, gone = (a, b) if a.state.id < b.state.id else (b, a)
        ks, gs = keep.state, gone.state
        ks.members = sorted(ks.members + gs.members, key=lambda m: m[1])
        for member in gs.members:
            self._member_of[member[0]] = ks.id
        for t, w in gs.centroid.items():
            ks.centroid[t] = ks.centroid.get(t, 0.0) + w
        if len(ks.centroid) > 2 * self.config.centroid_terms:
            ks.centroid = dict(_top(ks.centroid, self.config.centroid_terms))
        ks.norm2 = sum(w * w for w in ks.centroid.values())
        for mine, theirs in (
            (ks.places, gs.places),
            (ks.area_names, gs.area_names),
            (ks.districts, gs.districts),
            (ks.categories, gs.categories),
            (ks.areas, gs.areas),
            (ks.words, gs.words),
        ):
            _add_counts(mine, theirs.items())
        ks.geo = [x + y for x, y in zip(ks.geo, gs.geo, strict=True)]
        keep.first = min(keep.first, gone.first)
        keep.last = max(keep.last, gone.last)
        self._unindex(gone)
        del self._open[gs.id]
        del self._states[gs.id]
        self._dirty.add(ks.id)
        self._dirty.discard(gs.id)
        self._gone.add(gs.id)
        heapq.heappush(self._expiry, (keep.last, ks.id))
        self._reindex(keep)
        return keep

    def _unindex(self, entry: _Open) -> None:
        cid = entry.state.id
        for term in entry.top:
            postings = self._index[term]
            postings.discard(cid)
            if not postings:
                del self._index[term]
        entry.top = ()

    def _reindex(self, entry: _Open) -> None:
        self._unindex(entry)
        top = tuple(t for t, _ in _top(entry.state.centroid, self.config.index_terms))
        for term in top:
            self._index.setdefault(term, set()).add(entry.state.id)
        entry.top = top
        entry.where = self._where_of(entry.state)


def cluster(
    messages: Iterable[Message], config: Config | None = None, *, as_of: datetime | None = None
) -> list[Cluster]:
    """Cluster ``messages`` in the order of (time, id), as ``Clusterer.add`` would one by one.

    Returns every cluster as of ``as_of`` (default: the latest message), hottest first.
    """
    clusterer = Clusterer(config)
    for message in sorted(messages, key=lambda m: (m.at, m.id)):
        clusterer.add(message)
    return clusterer.clusters(as_of)
