"""What residents report: categories, issues and the public timeline of each issue."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from platform_gov.bilingual import BilingualName

# 32 bytes of randomness: 256 bits, well above the 128 the resident's link needs.
ACCESS_TOKEN_BYTES = 32
# The Django group of the hotline's call-takers (接线员): the console at /desk/.
OPERATORS_GROUP = "operators"
# Tracking numbers avoid letters that read alike (0/O, 1/I/L) when said over the phone.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_access_token() -> str:
    return secrets.token_urlsafe(ACCESS_TOKEN_BYTES)


def new_tracking_number() -> str:
    """``YYYYMMDD-XXXXXX``: the day it was filed and six characters to tell issues apart."""
    day = timezone.localdate().strftime("%Y%m%d")
    suffix = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6))
    return f"{day}-{suffix}"


class Category(BilingualName):
    """A kind of problem residents report, in a two-level tree (e.g. 市容环境 → 噪声扰民).

    ``service_code`` is the category's code in Open311 GeoReport v2; routing rules name
    categories, and a rule on a parent category covers its children.
    """

    code = models.SlugField(_("code"), max_length=64, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    service_code = models.CharField(_("Open311 service code"), max_length=64, unique=True)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Never published (issues.publication): e.g. women and children, labour disputes. A
    # private category makes its children private too.
    private = models.BooleanField(
        _("private"),
        default=False,
        help_text=_("Issues in this category (and the categories under it) are never published."),
    )
    # Open311's ``changeset``: the services list changes when a category or its questions do.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def ancestors(self) -> list[Category]:
        """This category and its parents, nearest first (at most a few levels)."""
        chain: list[Category] = []
        node: Category | None = self
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return chain


class CategoryQuestion(models.Model):
    """A question asked of residents who report in a category (e.g. 噪声来源 the noise's
    source), published in Open311 as the service's attributes.

    ``values`` lists the choices of a single or multiple choice question as
    ``[{"key": "site", "name": "工地"}]``.
    """

    class Datatype(models.TextChoices):
        STRING = "string", _("Short text")
        TEXT = "text", _("Long text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        SINGLE = "singlevaluelist", _("One choice")
        MULTI = "multivaluelist", _("Several choices")

    CHOICE_TYPES = (Datatype.SINGLE, Datatype.MULTI)

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(_("code"), max_length=64)
    question_zh = models.CharField(_("question (Chinese)"), max_length=300)
    question_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    datatype = models.CharField(_("answer type"), max_length=20, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    values = models.JSONField(_("choices"), default=list, blank=True)
    order = models.PositiveIntegerField(_("order"), default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "order", "id"]
        verbose_name = _("category question")
        verbose_name_plural = _("category questions")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "code"],
                name="%(app_label)s_%(class)s_code_per_category",
                violation_error_message=_("This category already has a question with this code."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.category.code}.{self.code}"

    @property
    def question(self) -> str:
        language = get_language() or "zh-hans"
        return (
            self.question_en if language.startswith("en") and self.question_en else self.question_zh
        )

    @property
    def keys(self) -> list[str]:
        return [str(v.get("key")) for v in self.values if isinstance(v, dict)]

    def clean(self) -> None:
        if self.datatype in self.CHOICE_TYPES and not self.keys:
            raise ValidationError({"values": _("A choice question needs its choices.")})

    def check_answer(self, value: Any) -> Any:
        """The answer in its stored form; ValidationError with a message for the resident."""
        if value in (None, "", []):
            if self.required:
                raise ValidationError(_("This question needs an answer."))
            return None
        if self.datatype == self.Datatype.NUMBER:
            try:
                return float(value)
            except (TypeError, ValueError) as error:
                raise ValidationError(_("Give a number.")) from error
        if self.datatype == self.Datatype.SINGLE:
            if str(value) not in self.keys:
                raise ValidationError(_("Choose one of: %(keys)s") % {"keys": ", ".join(self.keys)})
            return str(value)
        if self.datatype == self.Datatype.MULTI:
            chosen = [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
            if any(v not in self.keys for v in chosen):
                raise ValidationError(_("Choose among: %(keys)s") % {"keys": ", ".join(self.keys)})
            return chosen
        return str(value)[:2000]


class Issue(models.Model):
    """A problem a resident reported, from filing to closing.

    The public ``tracking_number`` is safe to say aloud; the ``access_token`` is the secret
    in the resident's link and is the only way to see the issue without an account. Contact
    fields are personal data: they are shown only to those whose role needs them. The state
    changes are made by services, each of which records a Handoff.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        TRIAGE = "triage", _("Awaiting triage")
        DISPATCHED = "dispatched", _("Dispatched")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        MERGED = "merged", _("Merged")
        REJECTED = "rejected", _("Rejected")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Hotline")
        WEB = "web", _("Web form")
        APP = "app", _("App")
        MINI_PROGRAM = "mini_program", _("Mini-program")
        EMAIL = "email", _("E-mail")
        LETTER = "letter", _("Letter")
        OPEN311 = "open311", _("Open311")
        API = "api", _("API")
        WALK_IN = "walk_in", _("Walk-in")
        WECHAT = "wechat", _("WeChat")

    # Channels any caller of the REST API may name (a resident's app files as "app"); the
    # others only staff and operators may name (they record what reached them by phone, post
    # or in person), and "open311" only the Open311 endpoint.
    PUBLIC_CHANNELS = (Channel.API, Channel.WEB, Channel.APP, Channel.MINI_PROGRAM, Channel.WECHAT)
    STAFF_CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.LETTER, Channel.WALK_IN)

    OPEN_STATUSES = (Status.SUBMITTED, Status.TRIAGE, Status.DISPATCHED, Status.IN_PROGRESS)

    tracking_number = models.CharField(
        _("tracking number"), max_length=20, unique=True, default=new_tracking_number
    )
    access_token = models.CharField(
        max_length=64, unique=True, default=new_access_token, editable=False
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issues",
    )
    lat = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    lon = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    # The smallest of the city's areas holding the place (a community, else its street or
    # district), found when the issue is filed: the dispatcher's workbench filters by it.
    area = models.ForeignKey(
        "agencies.Area",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # the (area, created_at) index below serves it
    )
    contact_name = models.CharField(_("name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("email"), blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    # The resident's consent, given on the form, that enterprise partners on the case may see
    # the contact. Without it partners see none (government bodies see it by role).
    share_contact_with_partners = models.BooleanField(
        _("share my contact with enterprise partners"), default=False
    )
    # The resident's choice on the form: never on a public page or in open data, whatever
    # the category (issues.publication).
    keep_private = models.BooleanField(_("keep my report off public pages"), default=False)
    # The text the public sees instead of the description, written or approved by staff.
    public_summary = models.TextField(_("public summary"), max_length=1000, blank=True)
    # A photo or video a partner's system linked to on an Open311 request (GeoReport v2
    # ``media_url``): a link only, never fetched by the platform.
    media_url = models.URLField(_("media link"), max_length=1000, blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB
    )
    # A consultation the call-taker answered on the spot (直接办结): closed at once, never
    # routed; counted apart in the rates.
    answered_at_first_contact = models.BooleanField(_("answered at first contact"), default=False)
    # The language the resident filed in: their e-mails are written in it.
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_issues",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    # Answers to the category's questions, by question code.
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # Times the issue went back to its lead after a low rating or a reopen (返工).
    redo_count = models.PositiveIntegerField(_("redone"), default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    # The version of the routing rules that decided this issue (none: by hand or not yet).
    routing_version = models.PositiveIntegerField(
        _("routed by rule set version"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("filed at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    # When its routing message was last handed to the broker (none: never, the broker was
    # down): the routing sweep leaves an issue enqueued recently to the message in the queue.
    routing_enqueued_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        indexes = [
            models.Index(fields=["status", "created_at"], name="issues_status_created"),
            models.Index(fields=["area", "created_at"], name="issues_area_created"),
            models.Index(fields=["category", "created_at"], name="issues_category_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(lat__isnull=True) & Q(lon__isnull=True))
                | (Q(lat__gte=-90, lat__lte=90) & Q(lon__gte=-180, lon__lte=180)),
                name="%(app_label)s_%(class)s_coordinates_in_range",
                violation_error_message=_(
                    "Give both latitude and longitude within range, or neither."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Update(models.Model):
    """One entry of an issue's public timeline, as the resident sees it.

    Written next to the internal Handoff record whenever something happens that the resident
    should know, in words meant for the resident: no staff names, no internal notes.
    """

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Received")
        DISPATCHED = "dispatched", _("Sent to the responsible organisation")
        TRIAGED = "triaged", _("Being reviewed by the dispatch centre")
        ACCEPTED = "accepted", _("Accepted for handling")
        REPLIED = "replied", _("Reply")
        RESOLVED = "resolved", _("Resolved")
        FEEDBACK = "feedback", _("Your rating")
        REOPENED = "reopened", _("Reopened")
        MERGED = "merged", _("Merged with an identical report")
        CLOSED = "closed", _("Closed")
        FOLLOW_UP = "follow_up", _("You called again")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    # Staff marked the note for everyone (open data, the tracking page of a merged report),
    # not only for the resident it answers (issues.publication).
    published = models.BooleanField(_("published"), default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("public update")
        verbose_name_plural = _("public updates")

    def __str__(self) -> str:
        return f"{self.issue.tracking_number}: {self.kind}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random name under the month: nothing of the resident's file name is kept."""
    month = timezone.now().strftime("%Y/%m")
    return f"issues/{month}/{secrets.token_hex(16)}.{instance.extension}"


class PrivateMediaStorage(FileSystemStorage):
    """Files at ``PRIVATE_MEDIA_ROOT``, read at each use (Django builds a field's storage once,
    at import, so a fixed location would ignore a test's or a deployment's later setting).

    There is no URL: ``url()`` refuses rather than fall back to MEDIA_URL as
    FileSystemStorage does, so no template or serializer can link past the permission check.
    """

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Photos have no public URL: serve them through a view that checks.")


def private_storage() -> PrivateMediaStorage:
    """Where photos live: a directory outside the web root, served only through a view that
    checks permission (``PRIVATE_MEDIA_ROOT``; never under STATIC_ROOT, no MEDIA_URL)."""
    return PrivateMediaStorage()


class Attachment(models.Model):
    """A photo the resident added to the report, re-encoded on arrival (no metadata kept).

    The stored file is the platform's own re-encoding, never the upload as it came: that drops
    EXIF (GPS position, camera serial) and anything hidden after the image data.
    """

    class Format(models.TextChoices):
        JPEG = "image/jpeg", "JPEG"
        PNG = "image/png", "PNG"
        WEBP = "image/webp", "WebP"

    EXTENSIONS = {Format.JPEG: "jpg", Format.PNG: "png", Format.WEBP: "webp"}

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, storage=private_storage, max_length=200)
    content_type = models.CharField(max_length=32, choices=Format.choices)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text=_("bytes, as stored"))
    sha256 = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["issue_id", "position", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "position"], name="%(app_label)s_%(class)s_one_per_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue_id}/{self.position}"

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "bin")


class Feedback(models.Model):
    """The resident's answer to the follow-up (回访): was it solved, and how well (1–5).

    One per resolution: an issue sent back and resolved again can be rated again. A rating
    the dispatcher finds unfair on an agency's appeal is kept but left out of the rates.
    """

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    round = models.PositiveIntegerField(default=0, help_text=_("the issue's redo count then"))
    excluded = models.BooleanField(_("left out of the rates on appeal"), default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5),
                name="%(app_label)s_%(class)s_rating_1_to_5",
                violation_error_message=_("A rating is from 1 to 5."),
            ),
            models.UniqueConstraint(
                fields=["issue", "round"],
                name="%(app_label)s_%(class)s_once_per_round",
                violation_error_message=_("This resolution has been rated already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue.tracking_number}: {self.rating}"


class ContactAccess(models.Model):
    """A member of staff was shown a resident's contact details: who, which issue, how much,
    where, when. Append-only, for the audit a complainant is owed."""

    class Level(models.TextChoices):
        FULL = "full", _("Full contact")
        MASKED = "masked", _("Masked phone")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=16, choices=Level.choices)
    via = models.CharField(max_length=16)  # "page", "api" or "admin"
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        # Born in the coordination app; the table kept its name when the model moved here.
        db_table = "coordination_contactaccess"
        ordering = ["-at", "-id"]
        verbose_name = _("contact access")
        verbose_name_plural = _("contact accesses")

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.level} contact of {self.issue_id} via {self.via}"


# Object permissions on issues, in tables of their own with a real foreign key: guardian's
# documented answer for large tables (no generic object_pk string to join on).
# https://django-guardian.readthedocs.io/en/stable/userguide/performance.html
class IssueUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Issue, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("issue permission of a user")


class IssueGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Issue, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("issue permission of an organisation")
