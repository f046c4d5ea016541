"""The residents' REST API: categories, filing an issue, and following it by its link.

Nobody needs to log in here. Personal data goes in (the contact fields of a new issue) but
never comes out: the tracking answer is the public timeline only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from platform_gov.errors import field_errors
from platform_gov.openapi import DETAIL_SCHEMA, ERROR_400, ERROR_404, ERROR_429
from platform_gov.throttling import SubmitThrottle, TrackThrottle

from ..models import Category, Issue
from ..photos import Photo
from ..selectors import category_choices, issue_by_access_token
from ..services import issue_feedback, issue_reopen, issue_submit
from .schema import ACCESS_TOKEN_PARAMETER
from .serializers import (
    CategorySerializer,
    FeedbackInputSerializer,
    IssueCreatedSerializer,
    IssueSubmitSerializer,
    IssueSubmitWithPhotosSerializer,
    ReopenInputSerializer,
    TrackSerializer,
)

logger = logging.getLogger(__name__)

# How long a key answers the same issue, and how long a claim may stay unfinished before
# a retry with the same key may file it again (the first request died half-way).
IDEMPOTENCY_TTL = 24 * 60 * 60
IDEMPOTENCY_CLAIM_TTL = 60
IDEMPOTENCY_WAIT = 5.0
IDEMPOTENCY_POLL = 0.05
IDEMPOTENCY_KEY_MAX = 255


class CategoryListView(ListAPIView):
    """Active categories, parents first: a plain list, as API.md shows it."""

    permission_classes = [permissions.AllowAny]
    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self):
        return category_choices()


def _idempotency_scope(request: Request) -> str:
    """Whose keys these are: the signed-in caller's own, or the anonymous callers' shared
    space, where the body's fingerprint tells one caller's retry from another's report."""
    return f"user:{request.user.pk}" if request.user.is_authenticated else "anonymous"


def _idempotency_cache_key(scope: str, key: str) -> str:
    # Hashed: the client's key is arbitrary text, cache keys are not.
    return "api:issue-submit:v2:" + hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Category):
        return value.code
    if isinstance(value, Photo):
        return value.sha256
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    return value


def idempotency_fingerprint(data: dict) -> str:
    """The SHA-256 of the validated body in a canonical form (photos by their content), so
    a retry of the same report matches whatever its encoding (JSON, form, multipart)."""
    canonical = json.dumps(_canonical(data), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _wait_for_issue(cache_key: str, fingerprint: str) -> int | None:
    """The issue id another request with the same key and body files, once it has (or
    None)."""
    deadline = time.monotonic() + IDEMPOTENCY_WAIT
    while True:
        value = cache.get(cache_key)
        if not isinstance(value, dict) or value.get("fingerprint") != fingerprint:
            return None  # the other request failed and released the key
        if value.get("issue_id") is not None:
            return int(value["issue_id"])
        if time.monotonic() >= deadline:
            return None
        time.sleep(IDEMPOTENCY_POLL)


def _key_reused() -> Response:
    return Response(
        {
            "detail": _(
                "This Idempotency-Key was used for a different request: use a new key for a "
                "new report."
            ),
            "code": "idempotency_key_reused",
        },
        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
    )


def issue_submit_response(request: Request) -> Response:
    """File an issue: ``201 {"id", "tracking_number", "access_token", "status"}``.

    With an ``Idempotency-Key`` header (the IETF ``Idempotency-Key`` draft), the same key
    with the same body within 24 hours answers the same issue (201, the same body) instead
    of filing another. Keys belong to the caller: a signed-in caller's to that user, an
    anonymous caller's to the key and the body's fingerprint together, so nobody receives
    another's issue (and its access token) or makes another's report vanish; the same key
    with a different body answers 422. A request whose twin is still being filed waits up
    to five seconds for it, then answers 409. Shared by the view below and the staff's
    ``/api/v1/issues/`` collection, which owns the path for GET.
    """
    body = IssueSubmitWithPhotosSerializer(data=request.data, context={"request": request})
    body.is_valid(raise_exception=True)
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        return Response(
            {"detail": _("The Idempotency-Key header is too long.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if not key:
        return _submit(request, body.validated_data)
    cache_key = _idempotency_cache_key(_idempotency_scope(request), key)
    fingerprint = idempotency_fingerprint(body.validated_data)
    try:
        claimed = cache.add(
            cache_key, {"fingerprint": fingerprint, "issue_id": None}, timeout=IDEMPOTENCY_CLAIM_TTL
        )
        held = None if claimed else cache.get(cache_key)
    except Exception:  # a cache outage must not cost the resident the report
        logger.warning("cache unavailable: filing without Idempotency-Key", exc_info=True)
        return _submit(request, body.validated_data)
    if not claimed:
        if isinstance(held, dict) and held.get("fingerprint") != fingerprint:
            return _key_reused()
        issue_id = _wait_for_issue(cache_key, fingerprint)
        issue = Issue.objects.filter(pk=issue_id).first() if issue_id else None
        if issue is None:
            return Response(
                {"detail": _("A request with this Idempotency-Key is still in progress.")},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(IssueCreatedSerializer(issue).data, status=status.HTTP_201_CREATED)
    try:
        response = _submit(request, body.validated_data)
    except BaseException:
        cache.delete(cache_key)  # nothing was filed: a retry may try again
        raise
    try:
        if response.status_code == status.HTTP_201_CREATED:
            cache.set(
                cache_key,
                {"fingerprint": fingerprint, "issue_id": response.data["id"]},
                timeout=IDEMPOTENCY_TTL,
            )
        else:
            cache.delete(cache_key)
    except Exception:  # the issue is filed; only a repeat of this key could now file another
        logger.warning("cache unavailable: Idempotency-Key not recorded", exc_info=True)
    return response


def _submit(request: Request, data: dict) -> Response:
    try:
        issue = issue_submit(**data, reporter=request.user)
    except ValidationError as error:
        return Response(field_errors(error), status=status.HTTP_400_BAD_REQUEST)
    return Response(IssueCreatedSerializer(issue).data, status=status.HTTP_201_CREATED)


# The OpenAPI description of filing an issue, shared with ``/api/v1/issues/`` (POST).
issue_submit_schema = extend_schema(
    summary="File an issue (no login needed)",
    description=(
        "Files a resident's issue. With an `Idempotency-Key` header, the same key and the "
        "same body within 24 hours answer the same issue (201, the same body) instead of "
        "filing another. Keys are the caller's own (a signed-in user's, or for anonymous "
        "callers the key with the body's fingerprint): the same key with a different body "
        "answers 422. A request whose twin is still being filed waits up to five seconds, "
        "then answers 409.\n\n"
        "Photos (`photos`, up to three files) need `multipart/form-data`; the other fields "
        "are the same in JSON, form and multipart bodies."
    ),
    request={
        "application/json": IssueSubmitSerializer,
        "application/x-www-form-urlencoded": IssueSubmitSerializer,
        "multipart/form-data": IssueSubmitWithPhotosSerializer,
    },
    parameters=[
        OpenApiParameter(
            "Idempotency-Key",
            {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX},
            OpenApiParameter.HEADER,
            required=False,
            description=(
                "Any text up to 255 characters; a repeat with the same body answers the same "
                "issue, with another body 422."
            ),
        )
    ],
    responses={
        201: IssueCreatedSerializer,
        400: ERROR_400,
        409: OpenApiResponse(
            DETAIL_SCHEMA, description="A request with this key is still being filed."
        ),
        422: OpenApiResponse(DETAIL_SCHEMA, description="This key was used with a different body."),
        429: ERROR_429,
    },
)


class IssueSubmitView(APIView):
    """File an issue (see ``issue_submit_response``)."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [SubmitThrottle]

    @issue_submit_schema
    def post(self, request: Request) -> Response:
        return issue_submit_response(request)


class TrackView(APIView):
    """An issue as its resident sees it, by the secret token of the resident's link."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [TrackThrottle]

    @extend_schema(
        summary="Follow an issue by its tracking link",
        parameters=[ACCESS_TOKEN_PARAMETER],
        responses={200: TrackSerializer, 404: ERROR_404, 429: ERROR_429},
    )
    def get(self, request: Request, access_token: str) -> Response:
        return Response(TrackSerializer(issue_by_access_token(token=access_token)).data)


# ---------------------------------------------------------------- the resident's follow-up


class TrackFeedbackView(APIView):
    """``rating`` (1–5) and ``comment`` on a resolved issue; answers the public view."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [TrackThrottle]

    @extend_schema(
        summary="Rate a resolved issue (no login needed)",
        parameters=[ACCESS_TOKEN_PARAMETER],
        request=FeedbackInputSerializer,
        responses={200: TrackSerializer, 400: ERROR_400, 404: ERROR_404, 429: ERROR_429},
    )
    def post(self, request: Request, access_token: str) -> Response:
        issue = issue_by_access_token(token=access_token)
        body = FeedbackInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        issue_feedback(issue_id=issue.pk, **body.validated_data)
        return Response(TrackSerializer(issue_by_access_token(token=access_token)).data)


class TrackReopenView(APIView):
    """``reason``: reopen a resolved or closed issue within the reopen window."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [TrackThrottle]

    @extend_schema(
        summary="Reopen a resolved or closed issue (no login needed)",
        parameters=[ACCESS_TOKEN_PARAMETER],
        request=ReopenInputSerializer,
        responses={200: TrackSerializer, 400: ERROR_400, 404: ERROR_404, 429: ERROR_429},
    )
    def post(self, request: Request, access_token: str) -> Response:
        issue = issue_by_access_token(token=access_token)
        body = ReopenInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        issue_reopen(issue_id=issue.pk, reason=body.validated_data["reason"])
        return Response(TrackSerializer(issue_by_access_token(token=access_token)).data)
