"""Organisations that handle issues, the areas they serve, and who works for them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from platform_gov.bilingual import BilingualName

from .geometry import GeometryError, point_in_geometry, validate_geometry


class Area(BilingualName):
    """A named piece of the city (district, street, community) with its boundary as GeoJSON.

    Areas nest: a district contains streets, a street contains communities. The boundary is a
    GeoJSON ``Polygon`` or ``MultiPolygon`` in WGS 84 longitude/latitude, stored as JSON so
    that the same schema runs on SQLite and PostgreSQL. Street offices and communities are
    responsible for what happens inside their area (属地).
    """

    class Level(models.TextChoices):
        DISTRICT = "district", _("District")
        STREET = "street", _("Street")
        COMMUNITY = "community", _("Community")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    geometry = models.JSONField(_("boundary (GeoJSON)"))
    # Compiled routing rule sets embed areas and agencies: a change here recompiles them.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def clean(self) -> None:
        try:
            validate_geometry(self.geometry)
        except GeometryError as error:
            raise ValidationError({"geometry": str(error)}) from error

    def contains(self, *, lon: float, lat: float) -> bool:
        return point_in_geometry(self.geometry, lon=lon, lat=lat)


class Agency(BilingualName):
    """An organisation that handles issues: a department, a street office, a partner.

    Every agency has a short ``code`` used in routing rules, the API and demo logins, a
    ``kind`` from the 12345 practice, an optional parent (a community under its street
    office), an optional area it is responsible for, and a permission group through which its
    members receive object permissions on the issues it handles.
    """

    class Kind(models.TextChoices):
        DISPATCH_CENTRE = "dispatch_centre", _("Dispatch centre")
        GOVERNMENT_DEPARTMENT = "government_department", _("Government department")
        STREET_OFFICE = "street_office", _("Street office")
        COMMUNITY = "community", _("Community")
        PARTY_ORGANISATION = "party_organisation", _("Party organisation")
        MASS_ORGANISATION = "mass_organisation", _("Mass organisation")
        ENTERPRISE_PARTNER = "enterprise_partner", _("Enterprise partner")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("area of responsibility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agencies",
    )
    active = models.BooleanField(_("active"), default=True)
    group = models.OneToOneField(
        Group, null=True, blank=True, editable=False, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    @property
    def is_dispatch_centre(self) -> bool:
        return self.kind == self.Kind.DISPATCH_CENTRE


class Membership(models.Model):
    """A user working for an agency, as staff or as manager.

    Membership is what puts an assignment in a person's queue. A user may belong to several
    agencies (a community worker who also serves the street office).
    """

    class Role(models.TextChoices):
        STAFF = "staff", _("Staff")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STAFF)
    # The language the member reads the platform in, kept from the last sign-in or language
    # switch: their notification e-mails are written in it. Empty: the platform's default.
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, blank=True, default=""
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency"],
                name="%(app_label)s_%(class)s_one_per_user_and_agency",
                violation_error_message=_("This user already belongs to this organisation."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency.code} ({self.role})"


class MembershipChange(models.Model):
    """One change to who works for which organisation: joined, left, moved to another
    organisation, or given another role; who made it and when. Append-only: the record of
    who could see which organisation's cases, and since when.

    Ids and codes are copied, so the row outlives a deleted membership or organisation.
    """

    class Kind(models.TextChoices):
        JOINED = "joined", _("Joined")
        LEFT = "left", _("Left")
        MOVED = "moved", _("Moved to another organisation")
        ROLE = "role", _("Role changed")

    kind = models.CharField(_("change"), max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("user name"), max_length=150)
    from_agency = models.CharField(_("from organisation"), max_length=64, blank=True)
    to_agency = models.CharField(_("to organisation"), max_length=64, blank=True)
    from_role = models.CharField(_("from role"), max_length=16, blank=True)
    to_role = models.CharField(_("to role"), max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    via = models.CharField(_("via"), max_length=16, blank=True)  # "admin", "command", ...
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("membership change")
        verbose_name_plural = _("membership changes")

    def __str__(self) -> str:
        return f"{self.username}: {self.kind} {self.from_agency}→{self.to_agency}"
