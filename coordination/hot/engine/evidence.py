"""What the clusterer compares: a message's features (its term vector, its places, its
voice) and the place rule, as a mixin of ``Clusterer`` over its counts and its config."""

from __future__ import annotations

import hashlib
import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .. import text
from .model import ClusterState, Config, Message


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


class Evidence:
    """The clusterer's reading of messages and clusters (``Clusterer`` holds the state)."""

    config: Config
    _documents: int
    _df: dict[str, int]

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
