"""The classifier's Django shell: its versions, the labels it learns from, what it said of
each issue, and the index duplicates are looked up in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models import Category, Issue


class ClassifierVersion(models.Model):
    """One trained version of the triage classifier (``coordination.triage``).

    ``model`` holds the model file's bytes, in the triage package's own format: a header of
    JSON and raw numeric arrays under a SHA-256 digest, read without running any code. The
    other fields repeat what the file says, for the pages: the training data, the figures
    measured on text the model had not seen, the threshold above which it routes. A new
    version is a candidate; activating one makes it the single active version and retires
    the one before; rolling back reactivates that one. Every activation is recorded.
    """

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("Candidate")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    class Source(models.TextChoices):
        HISTORY = "history", _("The platform's decisions")
        CORPUS = "corpus", _("Imported records")
        BOTH = "both", _("Decisions and imported records")
        DEMO = "demo", _("The demo city's history")
        FILE = "file", _("A model file")

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CANDIDATE
    )
    source = models.CharField(_("trained on"), max_length=16, choices=Source.choices)
    model = models.BinaryField(_("model file"), editable=False)
    digest = models.CharField(_("model digest"), max_length=64)
    spec = models.CharField(_("recipe"), max_length=400, blank=True)
    description = models.TextField(_("training data"), blank=True)
    labels = models.JSONField(_("categories"), default=list)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    validation = models.JSONField(_("validation figures"), default=dict)
    n_examples = models.PositiveIntegerField(_("examples"), default=0)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    train_seconds = models.FloatField(_("training time (s)"), null=True, blank=True)
    trained_at = models.DateTimeField(_("trained at"), default=timezone.now)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("classifier version")
        verbose_name_plural = _("classifier versions")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="active"),
                name="%(app_label)s_%(class)s_one_active",
                violation_error_message=_("Only one classifier version can be active."),
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.get_status_display()})"


class ClassifierActivation(models.Model):
    """Who made which classifier version active, when, and whether it was a rollback."""

    class Action(models.TextChoices):
        ACTIVATE = "activate", _("Activated")
        ROLLBACK = "rollback", _("Rolled back to")

    classifier = models.ForeignKey(
        ClassifierVersion, on_delete=models.PROTECT, related_name="activations"
    )
    previous = models.ForeignKey(
        ClassifierVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("classifier activation")
        verbose_name_plural = _("classifier activations")

    def __str__(self) -> str:
        return f"{self.get_action_display()} v{self.classifier.version}"


class CategoryLabel(models.Model):
    """A dispatcher's word on an issue's category: what the classifier learns from.

    Written when the dispatcher dispatches a triage issue by a category (one of the
    suggestions, or another: a correction) or settles a disagreement between the resident's
    category and a confident prediction. ``suggested`` is what the dispatcher was shown first
    (the prediction, or the resident's choice), so corrections can be counted. The latest
    label of an issue counts; it is used for training once the case has ended, unless a
    bounce-back was approved after it (``bounced``): the organisations said it was wrong.
    """

    class Kind(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CORRECTED = "corrected", _("Corrected")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    suggested = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confidence = models.FloatField(null=True, blank=True)
    classifier_version = models.PositiveIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    bounced = models.BooleanField(_("bounced back afterwards"), default=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("category label")
        verbose_name_plural = _("category labels")
        indexes = [models.Index(fields=["issue", "at"], name="learning_label_issue_at")]

    def __str__(self) -> str:
        return f"{self.issue_id}: {self.category_id} ({self.kind})"


class CorpusText(models.Model):
    """A labelled text from a city's old records, imported from CSV with a map from its
    labels to the platform's categories, so a city starts with what it already knows."""

    corpus = models.CharField(_("corpus"), max_length=100)
    title = models.CharField(_("title"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)
    label = models.CharField(_("label in the file"), max_length=200)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    # SHA-256 of the text and label: importing a file twice adds nothing.
    digest = models.CharField(max_length=64)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["corpus", "id"]
        verbose_name = _("labelled text")
        verbose_name_plural = _("labelled texts")
        constraints = [
            models.UniqueConstraint(
                fields=["corpus", "digest"],
                name="%(app_label)s_%(class)s_once_per_corpus",
                violation_error_message=_("This text is in the corpus already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.corpus}: {self.label}"


class IssuePrediction(models.Model):
    """What the active classifier said of an issue when it was routed, and what came of it.

    ``applied``: the resident chose no category (or "other") and the prediction was
    confident, so the rules routed on it. ``disagrees``: the resident chose a category and
    a confident prediction names another (neither under the other); routing kept the
    resident's choice and the dispatcher is shown the disagreement.
    """

    issue = models.OneToOneField(
        Issue, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    classifier = models.ForeignKey(
        ClassifierVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    classifier_version = models.PositiveIntegerField()
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confidence = models.FloatField()
    top = models.JSONField(default=list)
    confident = models.BooleanField(default=False)
    applied = models.BooleanField(default=False)
    resident_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disagrees = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("issue prediction")
        verbose_name_plural = _("issue predictions")
        indexes = [
            models.Index(
                fields=["at"], condition=Q(disagrees=True), name="learning_prediction_disagrees"
            )
        ]

    def __str__(self) -> str:
        return f"{self.issue_id}: {self.category_id} {self.confidence:.2f}"


class IssueTrace(models.Model):
    """Where and when an issue was filed, and its text's fingerprint: what duplicates are
    looked up by, the place and time first (one index range per grid cell), then the text.

    ``cell`` numbers a square of the map about ``CELL_METERS`` on a side (``duplicates``);
    issues without a place share ``NO_PLACE``. ``shingles`` holds the sorted CRC-32 hashes of
    the distinct character pairs of the issue's normalised title and description, as
    little-endian 32-bit integers: enough to score the likeness of two texts, not to read
    them back.
    """

    issue = models.OneToOneField(
        Issue, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    cell = models.BigIntegerField()
    created_at = models.DateTimeField()
    shingles = models.BinaryField()

    class Meta:
        verbose_name = _("duplicate index entry")
        verbose_name_plural = _("duplicate index entries")
        indexes = [models.Index(fields=["cell", "created_at"], name="learning_trace_cell_time")]

    def __str__(self) -> str:
        return f"{self.issue_id} @ {self.cell}"


class DuplicateCandidate(models.Model):
    """Two open issues that look like one problem (并单 candidates), the newer ``issue``
    probably a duplicate of the older ``other``: found as the newer one arrived, or proposed
    by a handler. The dispatcher merges them (the dispatch services' ``issue_merge``) or
    says they differ (``dismissed``)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("text likeness"))
    distance_m = models.FloatField(_("distance (m)"), null=True, blank=True)
    found_at = models.DateTimeField(default=timezone.now)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("duplicate candidate")
        verbose_name_plural = _("duplicate candidates")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "other"],
                name="%(app_label)s_%(class)s_once_per_pair",
                violation_error_message=_("These two issues are paired already."),
            ),
            models.CheckConstraint(
                condition=~Q(issue=models.F("other")),
                name="%(app_label)s_%(class)s_two_issues",
                violation_error_message=_("An issue is not its own duplicate."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue_id} ~ {self.other_id} ({self.score:.2f})"
