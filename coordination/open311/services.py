"""Writes for Open311: the partners' API keys and filing a service request as an issue."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from agencies.models import Agency
from issues.models import Category, Issue
from issues.services import issue_submit

from .models import ApiKey

API_KEY_BYTES = 32
API_KEY_PREFIX_LENGTH = 8
TITLE_LENGTH = 60


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, agency: Agency | None = None) -> tuple[ApiKey, str]:
    """Issue a key to a partner system; returns the row and the key, shown only this once.

    Only the key's SHA-256 hash and its first characters (to find it again) are stored.
    """
    key = secrets.token_urlsafe(API_KEY_BYTES)
    # A key (and so its prefix) never starts with "-": typed after an option on a command
    # line (``open311_key revoke --prefix …``) it would read as another option.
    while key[0] in "-_":
        key = secrets.token_urlsafe(API_KEY_BYTES)
    api_key = ApiKey(
        name=name,
        agency=agency,
        prefix=key[:API_KEY_PREFIX_LENGTH],
        key_hash=api_key_hash(key),
    )
    api_key.full_clean()
    api_key.save()
    return api_key, key


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The active key matching ``key`` (its last use recorded), or None."""
    if not key:
        return None
    api_key = ApiKey.objects.filter(key_hash=api_key_hash(key), active=True).first()
    if api_key is not None:
        api_key.last_used_at = timezone.now()
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=api_key.last_used_at)
    return api_key


def api_key_revoke(*, prefix: str) -> int:
    """Deactivate the active keys starting with ``prefix``; returns how many there were."""
    return ApiKey.objects.filter(prefix=prefix, active=True).update(active=False)


def open311_request_submit(
    *,
    category: Category,
    description: str,
    lat: float | None,
    lon: float | None,
    address: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    answers: dict | None = None,
    address_id: str = "",
    media_url: str = "",
) -> Issue:
    """File an Open311 service request as an issue (channel ``open311``), routed like any other.

    The title is the start of the description, or the service's name when there is none. An
    ``address_id`` (the jurisdiction's address register's id) is kept in the address for the
    dispatcher, who places it; ``media_url`` is kept as a link, never fetched. Raises
    ``django.core.exceptions.ValidationError`` naming the issue's fields.
    """
    description = description.strip()
    title = description.splitlines()[0][:TITLE_LENGTH].strip() if description else ""
    address = address.strip()
    if address_id:
        address = f"{address} (address_id {address_id})" if address else f"address_id {address_id}"
    return issue_submit(
        title=title or category.name,
        description=description or category.name,
        category=category,
        lat=lat,
        lon=lon,
        address=address,
        media_url=media_url,
        contact_name=" ".join(part for part in (first_name.strip(), last_name.strip()) if part),
        contact_email=email,
        contact_phone=phone,
        channel=Issue.Channel.OPEN311,
        answers=answers or {},
        require_answers=True,
    )
