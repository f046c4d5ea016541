"""Hot issues: complaints about one problem in one place, grouped as they arrive.

A pure engine in the style of ``coordination.routing``: frozen dataclasses in, results with
their reasons out; no Django, no clock (every "now" is a message's time or an ``as_of``
argument), no random numbers, ties broken explicitly. Its whole state is plain data
(``Clusterer.snapshot``), so the Django layer can persist it and rebuild the clusterer
(``Clusterer.from_snapshot``). Parameters live in ``Config``; the defaults were tuned on
the 4,253 messages of the TipDM 2020 board (``python -m bench.hot``).

Text similarity
    A message becomes a unit vector of terms (``text.terms``: jieba words, the bigrams of
    long words so that 搅拌站 meets 搅拌厂, and the bigrams of the single characters jieba
    leaves of names it does not know). Terms that belong to a named place or a masked
    district code are left out: places are the place rule's business, and two problems of
    one compound must not look alike because both name it. Weights are TF-IDF with
    sublinear term frequency (1 + ln tf) and smoothed inverse document frequency
    ln((1 + N) / (1 + df)) + 1, N and df counting the messages seen so far, this one
    included (kept incrementally: a term weighs what it weighed when its message came).
    Title and body (its first ``body_chars`` characters) are weighted apart and mixed
    ``title_weight`` : 1 - ``title_weight``, so that a long body does not drown the
    subject line; the ``vector_terms`` heaviest terms are kept. A cluster's centroid is the
    sum of its members' vectors (its ``centroid_terms`` heaviest terms kept); similarity
    is the cosine between a message's vector and a centroid.

Candidates
    An inverted index maps the ``index_terms`` heaviest centroid terms of every open
    cluster to it. A message is compared only with the open clusters that share one of its
    ``query_terms`` heaviest terms: a few, not all.

Place rule
    Evidence of place, each kind used only when both the message and the cluster have it:
    - coordinates, against the mean position of the cluster's members that have them:
      farther than ``max_distance_km`` is apart; within ``site_km``, the same site;
    - area codes (district, street, community, outermost first): the first ``area_depth``
      codes must agree with those of one of the cluster's members (one a prefix of the
      other), or they are apart;
    - named sites in the text (``text.places``: 小区, 路, 学校, 村 ... from the title and the
      first ``body_places`` of the body) against the cluster's ``cluster_places`` most
      named: one pair must be the same place (``text.same_place``), or they are apart.
      Two messages naming different specific places never join;
    - named areas (街道, 镇, 乡, 社区), masked district codes (A3区) and category codes:
      one in common, or they are apart.
    A message joins a cluster when nothing says they are apart and the similarity reaches
    ``threshold`` if the same site is named (or the coordinates are within ``site_km``),
    ``threshold_road`` if only the same road is (a road is long), ``threshold_unplaced``
    otherwise: the less the place says, the more the text must.

Time window
    A cluster is open while its last message is at most ``window_days`` older than the
    latest message seen (the watermark); a message may join an open cluster only if its
    time lies within ``window_days`` of the cluster's span. A message that finds no open
    cluster it may join opens a new one. Among several, the most similar wins; ties go to
    the most recently active, then to the lowest id.

Merging
    Single-pass clustering opens two clusters for one issue when its first messages differ.
    When a message may join several clusters, each other one whose centroid's cosine with
    the joined cluster's reaches ``merge_threshold`` and that nothing places apart from it
    is merged into it; the survivor is the lowest id (the oldest), and
    ``Assignment.merged`` lists the ids that are gone.

Incremental and batch
    ``Clusterer.add`` assigns one message and updates the state. It expects messages in
    the order of their times (the platform's order of creation) and accepts a late one,
    which then sees only the clusters still open at the watermark. ``cluster(messages)``
    sorts the messages by (time, id) and feeds them one by one to a fresh ``Clusterer``:
    the batch result *is* the incremental result for that order, by construction, and
    ``Clusterer.from_snapshot(c.snapshot())`` continues exactly as ``c`` would (a snapshot
    may leave closed clusters out; ``Clusterer.prune`` forgets them in memory). Times must
    be all timezone-aware (as the platform's are) or all naive.

Persisting as it goes
    ``Clusterer.take_changes`` returns what ``add`` and ``set_support`` changed since it was
    last called (the document frequencies that moved, the clusters whose state changed,
    those merged away, and the few global counters), so the Django layer writes a handful of
    rows per message instead of the whole snapshot; loading its rows back with
    ``from_snapshot`` continues exactly. ``set_support`` changes one member's "me too"
    count (supports arrive after the complaint): heat reads it, nothing else does.

Heat (``Cluster.heat``)
    heat = sum over members up to ``as_of`` of
           decay(age) * (voice + ln(1 + max(0, support - against)))
    voice is 1 for the first message of each author in the cluster (when the author is
    unknown, of each distinct text) and 0 for repeats: a hundred people are a problem, one
    person writing a hundred times is one voice. support is the "me too" count (on the
    board, likes, 点赞数) and against the dislikes (反对数): net supports count
    logarithmically, so 821 likes add 6.7, a message's followers weighing less than people
    who write. decay(age) = 0.5 ** (age in days / ``half_life_days``), age measured from
    ``as_of`` (no decay when ``half_life_days`` is None).

Growth (``Cluster.growth``)
    recent = members in the ``recent_days`` up to ``as_of``; before = members in the rest
    of the window, the ``window_days - recent_days`` days before those.
    growth = (recent / recent_days) / (max(before, 1) / (window_days - recent_days)):
    the daily rate of the last days against that of the rest of the window; 1 is steady,
    above 1 rising, 0 nothing recent.

Label (``Cluster.label``)
    The cluster's most named site (title mentions count twice) if its count reaches half
    the members, then ``label_words`` words of its members' titles by count x idf; a word
    needs two members (in a cluster of several) and may share no character with the
    place or a word before it.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from . import text

__all__ = [
    "Assignment",
    "Changes",
    "Cluster",
    "ClusterState",
    "Clusterer",
    "Config",
    "Message",
    "cluster",
]

SNAPSHOT_VERSION = 1
MessageId = int | str
# (id, time, support, against, voice): voice is "a:<author>" or "t:<digest of the text>"
Member = tuple[MessageId, datetime, int, int, str]


@dataclass(frozen=True)
class Message:
    """One complaint as the engine sees it.

    ``areas``: codes of the areas containing it, outermost (district) first. ``support``:
    "me too" supports (likes); ``against``: dislikes. ``author``: a pseudonymous id, so
    that one person's repeats count as one voice in the heat.
    """

    id: MessageId
    title: str
    text: str
    at: datetime
    lat: float | None = None
    lon: float | None = None
    areas: tuple[str, ...] = ()
    category: str | None = None
    support: int = 0
    against: int = 0
    author: str | None = None


@dataclass(frozen=True)
class Config:
    """The model's parameters (see the module docstring); part of every snapshot."""

    threshold: float = 0.1
    threshold_road: float = 0.2
    threshold_unplaced: float = 0.4
    merge_threshold: float = 0.25
    window_days: float = 30.0
    recent_days: float = 7.0
    half_life_days: float | None = 14.0
    title_weight: float = 0.6
    body_chars: int = 400
    vector_terms: int = 80
    centroid_terms: int = 400
    index_terms: int = 30
    query_terms: int = 15
    max_distance_km: float = 1.0
    site_km: float = 0.2
    area_depth: int = 2
    body_places: int = 6
    cluster_places: int = 12
    label_words: int = 3

    def __post_init__(self) -> None:
        if not 0 < self.recent_days < self.window_days:
            raise ValueError("recent_days must lie between 0 and window_days")
        if not 0 <= self.title_weight <= 1:
            raise ValueError("title_weight must lie between 0 and 1")
        if self.half_life_days is not None and self.half_life_days <= 0:
            raise ValueError("half_life_days must be positive (or None: no decay)")
        if not 0 <= self.threshold <= self.threshold_road <= self.threshold_unplaced:
            raise ValueError("expected 0 <= threshold <= threshold_road <= threshold_unplaced")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Config:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Assignment:
    """Where ``Clusterer.add`` put a message, how similar it was, and why.

    ``similarity`` is the cosine with the cluster joined (1.0 for a new cluster);
    ``merged`` the ids of clusters merged into ``cluster_id`` by this message: they are gone.
    """

    cluster_id: int
    similarity: float
    reasons: tuple[str, ...]
    new: bool = False
    merged: tuple[int, ...] = ()


@dataclass(frozen=True)
class Changes:
    """What changed since the last ``Clusterer.take_changes``: what to write back.

    ``df`` holds the document frequencies that changed, with their new values; ``clusters``
    the ids of clusters whose state changed (``Clusterer.state`` gives it); ``gone`` the ids
    of clusters merged away (their members are in the survivors now). ``documents``,
    ``watermark`` and ``next_id`` are the clusterer's counters as they are now.
    """

    documents: int
    watermark: datetime | None
    next_id: int
    df: dict[str, int]
    clusters: tuple[int, ...]
    gone: tuple[int, ...]

    def __bool__(self) -> bool:
        return bool(self.df or self.clusters or self.gone)


@dataclass(frozen=True)
class Cluster:
    """A hot issue as of a time: what it is about, how big, how hot (module docstring).

    ``members`` in order of time; ``people`` counts distinct voices (authors, or texts
    when the author is unknown); ``support``/``against`` are totals over the members.
    """

    id: int
    members: tuple[MessageId, ...]
    size: int
    people: int
    first: datetime
    last: datetime
    label: str
    keywords: tuple[str, ...]
    places: tuple[str, ...]
    districts: tuple[str, ...]
    areas: tuple[tuple[str, ...], ...]
    categories: tuple[str, ...]
    support: int
    against: int
    heat: float
    growth: float
    recent: int
    before: int


@dataclass
class ClusterState:
    """A cluster's whole state as plain data; ``to_dict`` is JSON-ready.

    ``members`` holds (id, time, support, against, voice) per message, in order of time;
    ``centroid`` the sum of the members' vectors and ``norm2`` its squared length;
    ``places`` (named sites), ``area_names``, ``districts``, ``categories`` and ``words``
    (title words, for the label) count what the members name; ``areas`` counts the
    members' area-code prefixes (joined with "/"); ``geo`` is [sum of lat, sum of lon,
    count] over the members with coordinates.
    """

    id: int
    members: list[Member] = field(default_factory=list)
    centroid: dict[str, float] = field(default_factory=dict)
    norm2: float = 0.0
    places: dict[str, int] = field(default_factory=dict)
    area_names: dict[str, int] = field(default_factory=dict)
    districts: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    areas: dict[str, int] = field(default_factory=dict)
    words: dict[str, int] = field(default_factory=dict)
    geo: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])

    @property
    def first(self) -> datetime:
        return min(m[1] for m in self.members)

    @property
    def last(self) -> datetime:
        return max(m[1] for m in self.members)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "members": [[mid, at.isoformat(), s, a, v] for mid, at, s, a, v in self.members],
            "centroid": dict(self.centroid),
            "norm2": self.norm2,
            "places": dict(self.places),
            "area_names": dict(self.area_names),
            "districts": dict(self.districts),
            "categories": dict(self.categories),
            "areas": dict(self.areas),
            "words": dict(self.words),
            "geo": list(self.geo),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClusterState:
        return cls(
            id=int(data["id"]),
            members=[
                (mid, datetime.fromisoformat(at), int(s), int(a), str(v))
                for mid, at, s, a, v in data["members"]
            ],
            centroid={k: float(v) for k, v in data["centroid"].items()},
            norm2=float(data["norm2"]),
            places=dict(data["places"]),
            area_names=dict(data["area_names"]),
            districts=dict(data["districts"]),
            categories=dict(data["categories"]),
            areas=dict(data["areas"]),
            words=dict(data["words"]),
            geo=[float(x) for x in data["geo"]],
        )


@dataclass(frozen=True)
class _Where:
    """Everything the place rule compares, for a message or a cluster."""

    sites: tuple[str, ...] = ()
    area_names: tuple[str, ...] = ()
    districts: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    areas: tuple[str, ...] = ()  # area-code prefixes joined with "/"
    point: tuple[float, float] | None = None  # (lat, lon)


@dataclass
class _Open:
    """What the clusterer keeps beside an open cluster's state to compare quickly."""

    state: ClusterState
    first: datetime
    last: datetime
    top: tuple[str, ...] = ()
    where: _Where = field(default_factory=_Where)


@dataclass(frozen=True)
class _Features:
    vector: dict[str, float]
    query: tuple[str, ...]
    where: _Where
    site_weights: tuple[tuple[str, int], ...]  # 2 for a site in the title, 1 in the body
    words: tuple[str, ...]  # title words, for the label
    voice: str


def _top(weights: Mapping[str, float], n: int) -> list[tuple[str, float]]:
    """The ``n`` heaviest items, ties broken by term: deterministic whatever the order."""
    if len(weights) <= n:
        return sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
    return heapq.nsmallest(n, weights.items(), key=lambda kv: (-kv[1], kv[0]))


def _unit(weights: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm for t, w in weights.items()} if norm else {}


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) between two (lat, lon), in kilometres."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def _prefixes_agree(a: str, b: str) -> bool:
    pa, pb = a.split("/"), b.split("/")
    n = min(len(pa), len(pb))
    return pa[:n] == pb[:n]


def _add_counts(into: dict[str, int], items: Iterable[tuple[str, int]]) -> None:
    for key, count in items:
        into[key] = into.get(key, 0) + count


class Clusterer:
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

    def _features(self, message: Message) -> _Features:
        config = self.config
        title = text.normalize(message.title)
        body = text.normalize(message.text)[: config.body_chars]
        title_places = text.places(title)
        body_places = text.places(body)
        # A term that is part of a named place is evidence for the place rule, not of the
        # problem: without it, two problems of one compound do not look alike.
        in_places = {
            name[i:j]
            for name in title_places + body_places
            for i in range(len(name) - 1)
            for j in range(i + 2, len(name) + 1)
        }
        title_words = [w for w in text.words(text.without_admin(title)) if w not in in_places]
        title_terms = text.terms(title_words)
        body_terms = text.terms(text.without_admin(body))
        for counts in (title_terms, body_terms):
            for term in [t for t in counts if t in in_places]:
                del counts[term]
        self._documents += 1
        df = self._df
        seen = title_terms.keys() | body_terms.keys()
        for term in seen:
            df[term] = df.get(term, 0) + 1
        self._dirty_terms |= seen
        n = self._documents

        def weights(counts: Counter[str]) -> dict[str, float]:
            return _unit(
                {
                    t: (1.0 + math.log(c)) * (math.log((1 + n) / (1 + df[t])) + 1.0)
                    for t, c in counts.items()
                }
            )

        title_vector = weights(title_terms)
        body_vector = weights(body_terms)
        if not title_vector or not body_vector:
            mixed = title_vector or body_vector
        else:
            a = config.title_weight
            mixed = {t: a * w for t, w in title_vector.items()}
            for t, w in body_vector.items():
                mixed[t] = mixed.get(t, 0.0) + (1 - a) * w
        kept = _top(mixed, config.vector_terms)
        vector = _unit(dict(kept))
        query = tuple(t for t, _ in kept[: config.query_terms])

        named = title_places + [
            p for p in body_places[: config.body_places] if p not in title_places
        ]
        sites = tuple(p for p in named if text.place_kind(p) != "area")
        point = None
        if message.lat is not None and message.lon is not None:
            point = (float(message.lat), float(message.lon))
        where = _Where(
            sites=sites,
            area_names=tuple(p for p in named if text.place_kind(p) == "area"),
            districts=frozenset(text.districts(title) or text.districts(body)[:2]),
            categories=frozenset((message.category,)) if message.category else frozenset(),
            areas=("/".join(message.areas[: config.area_depth]),) if message.areas else (),
            point=point,
        )
        if not title_words:
            title_words = [
                w for w in text.words(text.without_admin(body[:60])) if w not in in_places
            ]
        if message.author:
            voice = f"a:{message.author}"
        else:
            digest = hashlib.blake2b(f"{title}\n{body}".encode(), digest_size=8).hexdigest()
            voice = f"t:{digest}"
        return _Features(
            vector=vector,
            query=query,
            where=where,
            site_weights=tuple((p, 2 if p in title_places else 1) for p in sites),
            words=tuple(dict.fromkeys(title_words)),
            voice=voice,
        )

    def _compare(self, mine: _Where, theirs: _Where) -> tuple[str, float, tuple[str, ...]]:
        """(why they are apart, or ""; the similarity needed to join; the evidence)."""
        config = self.config
        reasons: list[str] = []
        needed = config.threshold_unplaced
        if mine.point and theirs.point:
            km = _km(mine.point, theirs.point)
            if km > config.max_distance_km:
                return f"lies {km:.1f} km away (over {config.max_distance_km:g})", needed, ()
            if km <= config.site_km:
                needed = config.threshold
            reasons.append(f"lies {km:.2f} km from the cluster")
        if mine.areas and theirs.areas:
            agree = next(
                (a for a in mine.areas for b in theirs.areas if _prefixes_agree(a, b)), None
            )
            if agree is None:
                return f"is in area {mine.areas[0]}, the cluster is not", needed, ()
            reasons.append(f"same area {agree}")
        for a, b, what in (
            (mine.sites, theirs.sites, "place"),
            (mine.area_names, theirs.area_names, "area"),
        ):
            if not a or not b:
                continue
            shared = [(x, y) for x in a for y in b if text.same_place(x, y)]
            if not shared:
                return f"names {', '.join(a[:3])}, the cluster {', '.join(b[:3])}", needed, ()
            if what == "place":
                # A road is long: naming the same one is weaker evidence than one compound.
                site = next((p for p in shared if text.place_kind(p[0]) != "road"), None)
                needed = min(needed, config.threshold if site else config.threshold_road)
                shared = [site or shared[0]]
            reasons.append(f"names the same {what}: {shared[0][0]} = {shared[0][1]}")
        for a, b, what in (
            (mine.districts, theirs.districts, "district"),
            (mine.categories, theirs.categories, "category"),
        ):
            if a and b:
                common = sorted(a & b)
                if not common:
                    why = f"{what} {', '.join(sorted(a))}, the cluster's {', '.join(sorted(b))}"
                    return why, needed, ()
                reasons.append(f"same {what} {common[0]}")
        return "", needed, tuple(reasons)

    def _where_of(self, state: ClusterState) -> _Where:
        n = self.config.cluster_places
        lat, lon, count = state.geo
        return _Where(
            sites=tuple(p for p, _ in Counter(state.places).most_common(n)),
            area_names=tuple(p for p, _ in Counter(state.area_names).most_common(n)),
            districts=frozenset(state.districts),
            categories=frozenset(state.categories),
            areas=tuple(state.areas),
            point=(lat / count, lon / count) if count else None,
        )

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

    def _keywords(self, state: ClusterState, places: tuple[str, ...]) -> tuple[str, ...]:
        n = self._documents
        least = 2 if len(state.members) > 1 else 1
        scored = _top(
            {
                w: c * (math.log((1 + n) / (1 + self._df.get(w, 0))) + 1.0)
                for w, c in state.words.items()
                if c >= least
            },
            4 * self.config.label_words + 4,
        )
        chosen: list[str] = []
        taken = set(places[0]) if places else set()
        for word, _ in scored:
            if len(chosen) == self.config.label_words:
                break
            if taken & set(word) or word.isdigit():
                continue
            chosen.append(word)
            taken |= set(word)
        return (places[0], *chosen) if places else tuple(chosen)


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
