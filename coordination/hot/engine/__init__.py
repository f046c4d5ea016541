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

from .clusterer import Clusterer, cluster
from .model import SNAPSHOT_VERSION, Assignment, Changes, Cluster, ClusterState, Config, Message

__all__ = [
    "SNAPSHOT_VERSION",
    "Assignment",
    "Changes",
    "Cluster",
    "ClusterState",
    "Clusterer",
    "Config",
    "Message",
    "cluster",
]
