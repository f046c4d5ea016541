"""Hot issues, residents' supports, early warnings and topics (专题): what the hot room keeps.

The clustering itself is the pure engine (``coordination.hot.engine``); these rows are its
state, written back after every message by one writer (``services.clustering``): a small
global row (``HotState``), the document frequencies (``HotTerm``), one row per cluster
(``HotIssue``, its engine state as JSON beside the figures the board sorts on) and one per
clustered issue (``HotMember``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Area
from issues.models import Category, Issue


class HotState(models.Model):
    """The clusterer as a whole: its parameters, counters, and the stamp of the last write.

    One row (``pk=1``). Every write locks it first, so there is one writer at a time
    whatever the number of workers; ``stamp`` (new at each write) tells a worker whether the
    clusterer it keeps in memory is still the one in the database.
    """

    SINGLETON = 1

    config = models.JSONField(default=dict, blank=True)
    documents = models.PositiveBigIntegerField(default=0)
    watermark = models.DateTimeField(null=True, blank=True)
    next_id = models.PositiveBigIntegerField(default=1)
    stamp = models.CharField(max_length=32, blank=True)
    # The filing time of the latest issue clustered: the next run starts a little before it.
    cursor_at = models.DateTimeField(null=True, blank=True)
    # When heat and growth of the open hot issues were last measured.
    measured_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hot-issue clusterer")
        verbose_name_plural = _("hot-issue clusterer")

    def __str__(self) -> str:
        return f"{self.documents} complaints, up to {self.watermark}"


class HotTerm(models.Model):
    """How many complaints used a term: the engine's document frequency (its idf)."""

    term = models.TextField(primary_key=True)
    df = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")

    def __str__(self) -> str:
        return f"{self.term}: {self.df}"


class HotIssue(models.Model):
    """A hot issue: complaints about one problem in one place, grouped as they arrived.

    ``id`` is the engine's cluster id; ``state`` its whole engine state (members with their
    times and supports, centroid, places), from which the figures beside it are derived at
    each change: the label (keywords), size, distinct people, supports, heat and growth as
    of ``measured_at`` (refreshed every few minutes as time passes), the mean position of
    the members, their areas and categories. A hot issue is open while a new complaint may
    still join it (its last one within the window); one merged into another keeps its row,
    pointing to the survivor, so links to it still lead somewhere.
    """

    id = models.PositiveBigIntegerField(primary_key=True)
    state = models.JSONField(default=dict)
    label = models.CharField(_("label"), max_length=200, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    size = models.PositiveIntegerField(_("complaints"), default=0)
    people = models.PositiveIntegerField(_("people"), default=0)
    supports = models.PositiveIntegerField(_("supports"), default=0)
    first_at = models.DateTimeField(_("first"))
    last_at = models.DateTimeField(_("latest"))
    heat = models.FloatField(_("heat"), default=0.0)
    growth = models.FloatField(_("growth"), default=0.0)
    recent = models.PositiveIntegerField(default=0)
    measured_at = models.DateTimeField()
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    areas = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    is_open = models.BooleanField(_("open"), default=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-heat", "id"]
        verbose_name = _("hot issue")
        verbose_name_plural = _("hot issues")
        # City leaders: the whole city's hot issues, topics and cooperation, read only.
        permissions = [("view_city", _("See the whole city's hot issues, topics and figures"))]
        indexes = [
            models.Index(fields=["is_open", "-heat"], name="hot_issue_open_heat"),
            models.Index(fields=["is_open", "-growth"], name="hot_issue_open_growth"),
            models.Index(fields=["last_at"], name="hot_issue_last"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.label} ({self.size})"


class HotMember(models.Model):
    """An issue in its hot issue, with how similar it was and why it joined.

    Beside the issue's filing time it keeps what the early warning and the "is it one of
    these?" lookup count by: the area (street, or the finest level the place falls in), the
    top-level category, the place and a grid cell of about a kilometre (``cell``), and the
    residents' supports.
    """

    issue = models.OneToOneField(
        Issue, primary_key=True, on_delete=models.CASCADE, related_name="hot_member"
    )
    hot_issue = models.ForeignKey(HotIssue, on_delete=models.CASCADE, related_name="members")
    at = models.DateTimeField()
    # The clusterer saw it as its n-th complaint: the order a batch run must replay.
    position = models.PositiveBigIntegerField(null=True, blank=True)
    similarity = models.FloatField(default=1.0)
    reasons = models.JSONField(default=list, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    cell = models.BigIntegerField(null=True, blank=True)
    supports = models.PositiveIntegerField(default=0)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "issue_id"]
        verbose_name = _("hot-issue member")
        verbose_name_plural = _("hot-issue members")
        indexes = [
            models.Index(fields=["hot_issue", "at"], name="hot_member_issue_at"),
            models.Index(fields=["area", "category", "at"], name="hot_member_area_cat_at"),
            models.Index(fields=["cell", "at"], name="hot_member_cell_at"),
            models.Index(fields=["at"], name="hot_member_at"),
        ]

    def __str__(self) -> str:
        return f"{self.issue_id} in #{self.hot_issue_id}"


class Support(models.Model):
    """A resident's "me too" (我也遇到): the same problem, added to an existing issue instead
    of filing a duplicate.

    One per resident and issue: a signed-in resident by their account, anyone else by the
    phone or e-mail they give, of which only a keyed hash (``contact_key``) is kept, never
    the contact itself. Supports count in the heat of the issue's hot issue and are shown to
    the organisations handling it.
    """

    class Via(models.TextChoices):
        PAGE = "page", _("The issue's public page")
        FORM = "form", _("The report form")
        API = "api", _("API")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_key = models.CharField(max_length=64, blank=True)
    via = models.CharField(max_length=16, choices=Via.choices, default=Via.PAGE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "user"],
                condition=Q(user__isnull=False),
                name="%(app_label)s_%(class)s_once_per_account",
                violation_error_message=_("You have supported this issue already."),
            ),
            models.UniqueConstraint(
                fields=["issue", "contact_key"],
                condition=~Q(contact_key=""),
                name="%(app_label)s_%(class)s_once_per_contact",
                violation_error_message=_("You have supported this issue already."),
            ),
        ]

    def __str__(self) -> str:
        return f"support of {self.issue_id}"


class HotWarning(models.Model):
    """An early warning: complaints in an area and category, or in one hot issue, rose far
    above their usual level (``services.warnings`` says how that is judged).

    A warning opens when the level crosses the threshold and ends when it falls back; one
    key has at most one open warning, so a crossing is announced once however long it lasts.
    ``evidence`` keeps what was seen: the counts by day, the baseline, the issues.
    """

    class Scope(models.TextChoices):
        AREA_CATEGORY = "area_category", _("Area and category")
        HOT_ISSUE = "hot_issue", _("Hot issue")

    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    key = models.CharField(max_length=200)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hot_issue = models.ForeignKey(
        HotIssue, null=True, blank=True, on_delete=models.SET_NULL, related_name="warnings"
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    observed = models.PositiveIntegerField(_("complaints in the last day"))
    expected = models.FloatField(_("usual for a day"))
    p_value = models.FloatField()
    peak = models.PositiveIntegerField(default=0)
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(ended_at__isnull=True),
                name="%(app_label)s_%(class)s_one_open_per_key",
                violation_error_message=_("A warning is open for this already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} since {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class Topic(models.Model):
    """A topic (专题, 每月一题): a problem many residents share, solved once, together.

    The dispatcher makes one from a hot issue or a hand-picked set of issues and names a
    lead organisation and participating organisations of any kind (departments, street
    offices, party and mass organisations, enterprise partners), a goal, milestones with
    deadlines. New complaints that join its hot issues are proposed as members and join on
    the dispatcher's confirmation. Every step is a ``TopicEvent``. ``summary`` is the outcome
    told to the residents of its member issues when it is done.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Under way")
        DONE = "done", _("Done")

    title = models.CharField(_("title"), max_length=200)
    goal = models.TextField(_("goal"), max_length=4000)
    lead = models.ForeignKey(
        Agency,
        verbose_name=_("lead organisation"),
        on_delete=models.PROTECT,
        related_name="topics_led",
    )
    participants = models.ManyToManyField(
        Agency,
        verbose_name=_("participating organisations"),
        blank=True,
        related_name="topics_joined",
    )
    hot_issues = models.ManyToManyField(HotIssue, blank=True, related_name="topics")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    due_on = models.DateField(_("to be done by"), null=True, blank=True)
    summary = models.TextField(_("outcome"), blank=True, max_length=4000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class TopicMember(models.Model):
    """An issue that is part of a topic: confirmed, or proposed until the dispatcher decides."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Part of the topic")
        REJECTED = "rejected", _("Not part of it")

    class Source(models.TextChoices):
        HOT_ISSUE = "hot_issue", _("From the hot issue")
        PICKED = "picked", _("Picked by hand")
        MATCHED = "matched", _("New complaint of the same hot issue")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="members")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="topic_memberships")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    source = models.CharField(max_length=16, choices=Source.choices)
    added_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("topic member")
        verbose_name_plural = _("topic members")
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "issue"],
                name="%(app_label)s_%(class)s_once_per_topic",
                violation_error_message=_("This issue is in the topic already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue_id} in topic {self.topic_id} ({self.status})"


class Milestone(models.Model):
    """A step of a topic with its deadline, done when its organisation says so."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("due"))
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return f"{self.title} ({self.due_on})"

    def is_late(self, today=None) -> bool:
        return self.done_at is None and (today or timezone.localdate()) > self.due_on


class TopicEventQuerySet(models.QuerySet):
    """A topic's record is append-only, like the issues' handoffs."""

    def update(self, **kwargs):
        raise TypeError("Topic events are append-only; they cannot be updated.")

    def delete(self):
        raise TypeError("Topic events are append-only; they cannot be deleted.")


class TopicEvent(models.Model):
    """One step in the life of a topic: who did what, to which issue, organisation or
    milestone, when and why. The topic's counterpart of an issue's Handoff: rows are never
    changed or removed (the model and, on PostgreSQL, a trigger refuse it). ``public`` notes
    are shown to the residents of the member issues; the rest only to the organisations."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Topic created")
        MEMBER_ADDED = "member_added", _("Issue added")
        MEMBER_PROPOSED = "member_proposed", _("New complaint proposed")
        MEMBER_CONFIRMED = "member_confirmed", _("Proposal confirmed")
        MEMBER_REJECTED = "member_rejected", _("Proposal turned down")
        MEMBER_REMOVED = "member_removed", _("Issue removed")
        PARTICIPANT_ADDED = "participant_added", _("Organisation joined")
        PARTICIPANT_REMOVED = "participant_removed", _("Organisation left")
        MILESTONE_ADDED = "milestone_added", _("Milestone set")
        MILESTONE_DONE = "milestone_done", _("Milestone reached")
        NOTE = "note", _("Progress")
        COMPLETED = "completed", _("Topic done")
        REOPENED = "reopened", _("Topic reopened")

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    public = models.BooleanField(_("shown to residents"), default=False)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TopicEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("topic event")
        verbose_name_plural = _("topic events")

    def __str__(self) -> str:
        return f"{self.topic_id} {self.kind} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Topic events are append-only; they cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Topic events are append-only; they cannot be deleted.")
