"""The REST API of the dispatcher's workflow (API.md is the contract).

Staff work their agencies' assignments; the dispatcher triages, decides requests, supervises
and merges; residents rate or reopen by their link; administrators manage rule sets.
Every view parses its input with a serializer (field errors name the field), calls one
service or selector, and renders the result. What a user may not see answers 404.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import Agency
from issues.api.schema import (
    ACCESS_TOKEN_PARAMETER,
    ERROR_400,
    ERROR_403,
    ERROR_404,
    ERROR_429,
    FIELD_ERRORS_SCHEMA,
    id_parameter,
)
from issues.api.serializers import TrackSerializer
from issues.api.views import issue_submit_response, issue_submit_schema, validation_errors
from issues.models import Issue
from issues.selectors import issue_by_access_token
from platform_gov.throttling import SubmitThrottle, TrackThrottle

from .. import workflow
from ..models import Assignment, CoordinationRequest, RuleSet
from ..permissions import (
    can_manage_rules,
    can_see_stats,
    can_work_assignment,
    contact_access_record,
    contact_level,
    is_dispatcher,
)
from ..rulesets import (
    RuleSetInvalid,
    RuleSetNotEditable,
    facts_from,
    ruleset_publish,
    simulate_facts,
    simulate_replay,
)
from ..selectors import (
    agency_queue,
    issue_assignments,
    issue_for_user,
    issue_handoffs,
    issues_visible_to,
    requests_open,
    triage_queue,
)
from ..services import (
    TransitionNotAllowed,
    assignment_accept,
    assignment_resolve,
    issue_dispatch,
)
from ..stats import agency_rates
from .filters import IssueFilter
from .serializers import (
    AgenciesInputSerializer,
    AgencyRatesSerializer,
    AgencySerializer,
    ApproveInputSerializer,
    AssignmentSerializer,
    CoordinationRequestSerializer,
    DispatchInputSerializer,
    EscalateInputSerializer,
    ExtensionInputSerializer,
    FeedbackInputSerializer,
    HandoffSerializer,
    IssueDetailSerializer,
    IssueSummarySerializer,
    MergeInputSerializer,
    ProblemSerializer,
    PublishInputSerializer,
    QueueAssignmentSerializer,
    QueueFilterSerializer,
    ReasonSerializer,
    RejectInputSerializer,
    ReplyInputSerializer,
    RequestFilterSerializer,
    ResolveInputSerializer,
    RuleSetSerializer,
    SimulateInputSerializer,
    StatsFilterSerializer,
    TransferInputSerializer,
)


class CanManageRules(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return can_manage_rules(request.user)


_RULESET_ID = id_parameter("The rule-set version's id.")

_PUBLISH_400 = OpenApiResponse(
    {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "detail": {"type": "string"},
                    "problems": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "rule": {"type": "integer", "nullable": True},
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                            },
                            "required": ["rule", "field", "message"],
                        },
                    },
                },
                "required": ["detail"],
            },
            FIELD_ERRORS_SCHEMA,
        ]
    },
    description='`{"detail", "problems": [{"rule", "field", "message"}]}` when the rule set '
    'has problems, `{"detail"}` when it may not be published, or field errors.',
)

_DECISION_SCHEMA = {"type": "object", "description": "A routing decision and its reasons."}
_SIMULATION_SCHEMA = {
    "oneOf": [
        {
            "type": "object",
            "title": "One issue",
            "properties": {
                "facts": {"type": "object"},
                "decision": _DECISION_SCHEMA,
                "active_decision": _DECISION_SCHEMA,
                "changed": {"type": "boolean"},
            },
            "required": ["facts", "decision", "active_decision", "changed"],
        },
        {
            "type": "object",
            "title": "Replay of the last N issues",
            "properties": {
                "ruleset": {"type": "integer"},
                "active": {"type": "integer", "nullable": True},
                "replayed": {"type": "integer"},
                "changed": {"type": "integer"},
                "moves": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "from": {"type": "string"},
                            "to": {"type": "string"},
                            "count": {"type": "integer"},
                        },
                    },
                },
                "sample": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["ruleset", "active", "replayed", "changed", "moves", "sample"],
        },
    ]
}


@extend_schema_view(
    list=extend_schema(
        summary="Rule-set versions", responses={200: RuleSetSerializer, 403: ERROR_403}
    ),
    retrieve=extend_schema(
        summary="One rule-set version",
        parameters=[_RULESET_ID],
        responses={200: RuleSetSerializer, 403: ERROR_403, 404: ERROR_404},
    ),
)
class RuleSetViewSet(viewsets.ReadOnlyModelViewSet):
    """Rule-set versions, newest first; one is active."""

    serializer_class = RuleSetSerializer
    permission_classes = [permissions.IsAuthenticated, CanManageRules]
    queryset = RuleSet.objects.select_related("published_by").prefetch_related("rules")

    @extend_schema(
        summary="Publish this version (it becomes the active one)",
        parameters=[_RULESET_ID],
        request=PublishInputSerializer,
        responses={200: RuleSetSerializer, 400: _PUBLISH_400, 403: ERROR_403, 404: ERROR_404},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        ruleset = self.get_object()
        body = PublishInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            published = ruleset_publish(
                ruleset_id=ruleset.pk, actor=request.user, note=body.validated_data["note"]
            )
        except RuleSetInvalid as error:
            return Response(
                {
                    "detail": "The rule set has problems; it was not published.",
                    "problems": ProblemSerializer(error.problems, many=True).data,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        except RuleSetNotEditable as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(RuleSetSerializer(published).data)

    @extend_schema(
        summary="Simulate this version against the active one",
        parameters=[_RULESET_ID],
        request=SimulateInputSerializer,
        responses={
            200: OpenApiResponse(
                _SIMULATION_SCHEMA,
                description="`issue`: the decisions for one issue; `replay_last`: the moves.",
            ),
            400: ERROR_400,
            403: ERROR_403,
            404: ERROR_404,
        },
    )
    @action(detail=True, methods=["post"])
    def simulate(self, request: Request, pk: str | None = None) -> Response:
        """Route one issue, or replay the last N, under this version and the active one."""
        ruleset = self.get_object()
        body = SimulateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "replay_last" in body.validated_data:
            return Response(
                simulate_replay(ruleset=ruleset, last=body.validated_data["replay_last"])
            )
        facts = facts_from(**body.validated_data["issue"])
        return Response(simulate_facts(ruleset=ruleset, facts=facts).as_json())


# --------------------------------------------------------------------------- shared parts


class ActionRefused(APIException):
    """A service refused the change: ``400 {"detail": <its message for people>}``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "not_allowed"


class FieldErrors(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"


def _call(service, **kwargs):
    """Run one service; its refusals become 400s rather than 500s."""
    try:
        return service(**kwargs)
    except (TransitionNotAllowed, ValueError) as error:
        raise ActionRefused(detail=str(error)) from error
    except ValidationError as error:
        raise FieldErrors(detail=validation_errors(error)) from error


def _valid(serializer_class, data) -> dict:
    body = serializer_class(data=data)
    body.is_valid(raise_exception=True)
    return body.validated_data


class IsDispatcher(permissions.BasePermission):
    """For the dispatcher's lists (403 for others); their objects answer 404 instead."""

    def has_permission(self, request, view) -> bool:
        return is_dispatcher(request.user)


def _require_dispatcher(request: Request) -> None:
    if not is_dispatcher(request.user):
        raise Http404("No such object.")


# ------------------------------------------------------------------------------ issues

_ISSUE_ID = id_parameter("The issue's id.")
# What every action on one object may answer besides its success.
_ACTION_ERRORS = {400: ERROR_400, 403: ERROR_403, 404: ERROR_404}


class IssueViewSet(viewsets.GenericViewSet):
    """``/api/v1/issues/``: residents file (POST, no login); staff list and read the issues
    they may see; the dispatcher dispatches, supervises (督办) and merges (并单)."""

    lookup_value_regex = r"\d{1,18}"
    serializer_class = IssueSummarySerializer
    # The list's query filters; drf-spectacular documents them from the FilterSet itself.
    filter_backends = [DjangoFilterBackend]
    filterset_class = IssueFilter

    def get_permissions(self):
        if self.action == "create":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Issue]:
        return issues_visible_to(self.request.user)

    def _issue(self, pk: str) -> Issue:
        return issue_for_user(user=self.request.user, issue_id=int(pk))

    def _dispatcher_issue(self, pk: str) -> Issue:
        _require_dispatcher(self.request)
        return self._issue(pk)

    def get_throttles(self):
        # Filing needs no account, so it is limited per client address.
        return [SubmitThrottle()] if self.action == "create" else super().get_throttles()

    @issue_submit_schema
    def create(self, request: Request) -> Response:
        return issue_submit_response(request)

    @extend_schema(
        summary="Issues the user may see, newest first",
        responses={
            200: IssueSummarySerializer(many=True),
            400: ERROR_400,
            403: ERROR_403,
            404: ERROR_404,
        },
    )
    def list(self, request: Request) -> Response:
        issues = self.filter_queryset(
            self.get_queryset().select_related("category").order_by("-created_at", "-id")
        )
        page = self.paginate_queryset(issues)
        return self.get_paginated_response(IssueSummarySerializer(page, many=True).data)

    @extend_schema(
        summary="One issue with its assignments",
        parameters=[_ISSUE_ID],
        responses={200: IssueDetailSerializer, 403: ERROR_403, 404: ERROR_404},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        """The issue with its assignments; contact data as ``contact_level`` allows."""
        issue = self._issue(pk)
        assignments = list(issue_assignments(issue=issue))
        contact = contact_level(user=request.user, issue=issue, assignments=assignments)
        contact_access_record(user=request.user, issue=issue, level=contact, via="api")
        context = {
            "assignments": assignments,
            "contact": contact,
            "now": timezone.now(),
            "request": request,  # the photos' absolute URLs
        }
        return Response(IssueDetailSerializer(issue, context=context).data)

    @extend_schema(
        summary="The issue's handoff record, oldest first",
        parameters=[_ISSUE_ID],
        responses={200: HandoffSerializer(many=True), 403: ERROR_403, 404: ERROR_404},
    )
    # Not paginated: ``pagination_class=None`` only tells the schema so.
    @action(detail=True, methods=["get"], pagination_class=None)
    def handoffs(self, request: Request, pk: str) -> Response:
        """The full handoff record, oldest first."""
        issue = self._issue(pk)
        return Response(HandoffSerializer(issue_handoffs(issue=issue), many=True).data)

    # Not ``dispatch``: that name is APIView's request handling.
    @extend_schema(
        summary="Dispatch by hand (dispatcher)",
        parameters=[_ISSUE_ID],
        request=DispatchInputSerializer,
        responses={200: IssueDetailSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_by_hand(self, request: Request, pk: str) -> Response:
        """Dispatch by hand: ``lead`` (code), ``co_handlers`` (codes), ``note``."""
        issue = self._dispatcher_issue(pk)
        data = _valid(DispatchInputSerializer, request.data)
        _call(
            issue_dispatch,
            issue_id=issue.pk,
            lead=data["lead"],
            co_handlers=data["co_handlers"],
            actor=request.user,
            note=data["note"],
        )
        return self.retrieve(request, pk)

    @extend_schema(
        summary="Supervise (督办) (dispatcher)",
        parameters=[_ISSUE_ID],
        request=EscalateInputSerializer,
        responses={201: HandoffSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str) -> Response:
        """Supervise (督办): ``note`` says what is expected. 201 with the handoff."""
        issue = self._dispatcher_issue(pk)
        data = _valid(EscalateInputSerializer, request.data)
        handoff = _call(
            workflow.issue_escalate, issue_id=issue.pk, actor=request.user, note=data["note"]
        )
        return Response(HandoffSerializer(handoff).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Merge this duplicate into another issue (并单) (dispatcher)",
        parameters=[_ISSUE_ID],
        request=MergeInputSerializer,
        responses={200: IssueDetailSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        """Merge this duplicate ``into`` (an issue id) the issue that continues."""
        issue = self._dispatcher_issue(pk)
        data = _valid(MergeInputSerializer, request.data)
        _call(workflow.issue_merge, issue_id=issue.pk, into_id=data["into"].pk, actor=request.user)
        return self.retrieve(request, pk)


# ------------------------------------------------------------------------- assignments


_ASSIGNMENT_ID = id_parameter("The assignment's id.")
_SUMMONED = inline_serializer(
    "WhistleSummoned", fields={"summoned": AssignmentSerializer(many=True)}
)


class AssignmentViewSet(viewsets.GenericViewSet):
    """The user's agencies' assignments and what their staff do with them.

    Besides API.md's actions, ``POST /api/v1/assignments/<id>/appeal/`` with ``reason``
    lets the lead appeal the latest rating of its resolution as unfair (an ``appeal``
    coordination request the dispatcher decides). Requests answer 201 with the request;
    ``whistle`` answers 201 with the summoned assignments; the rest answer 200 with the
    assignment. An assignment of another agency answers 404.
    """

    lookup_value_regex = r"\d{1,18}"
    serializer_class = AssignmentSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self) -> Assignment:
        assignment = get_object_or_404(
            Assignment.objects.select_related("issue", "agency"), pk=self.kwargs["pk"]
        )
        if not can_work_assignment(self.request.user, assignment):
            raise Http404("No such assignment.")
        return assignment

    def _answer(self, assignment_id: int) -> Response:
        assignment = Assignment.objects.select_related("agency").get(pk=assignment_id)
        return Response(AssignmentSerializer(assignment).data)

    def _requested(self, request_: CoordinationRequest) -> Response:
        return Response(
            CoordinationRequestSerializer(request_).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="The agencies' queue, soonest deadline first",
        parameters=[QueueFilterSerializer],
        responses={
            200: QueueAssignmentSerializer(many=True),
            400: ERROR_400,
            403: ERROR_403,
            404: ERROR_404,
        },
    )
    def list(self, request: Request) -> Response:
        """``?status=pending|accepted|done``: the queue, soonest deadline first."""
        wanted = _valid(QueueFilterSerializer, request.query_params).get("status")
        queue = agency_queue(user=request.user, include_done=wanted == Assignment.Status.DONE)
        if wanted:
            queue = queue.filter(status=wanted)
        page = self.paginate_queryset(queue)
        serializer = QueueAssignmentSerializer(page, many=True, context={"now": timezone.now()})
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        summary="One assignment",
        parameters=[_ASSIGNMENT_ID],
        responses={200: AssignmentSerializer, 403: ERROR_403, 404: ERROR_404},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AssignmentSerializer(self.get_object()).data)

    @extend_schema(
        summary="Sign for it (签收)",
        parameters=[_ASSIGNMENT_ID],
        request=None,
        responses={200: AssignmentSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """Sign for it (签收): the resolution clock starts."""
        assignment = self.get_object()
        _call(assignment_accept, assignment_id=assignment.pk, actor=request.user)
        return self._answer(assignment.pk)

    @extend_schema(
        summary="Resolve it",
        parameters=[_ASSIGNMENT_ID],
        request=ResolveInputSerializer,
        responses={200: AssignmentSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        """Done, with ``resolution``; the issue is resolved when its lead assignment is."""
        assignment = self.get_object()
        data = _valid(ResolveInputSerializer, request.data)
        _call(
            assignment_resolve,
            assignment_id=assignment.pk,
            actor=request.user,
            resolution=data["resolution"],
        )
        return self._answer(assignment.pk)

    @extend_schema(
        summary="A note to the resident or the other handlers",
        parameters=[_ASSIGNMENT_ID],
        request=ReplyInputSerializer,
        responses={200: AssignmentSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str) -> Response:
        """``message`` to the resident (``public``: true) or to the other handlers."""
        assignment = self.get_object()
        data = _valid(ReplyInputSerializer, request.data)
        _call(
            workflow.assignment_reply,
            assignment_id=assignment.pk,
            actor=request.user,
            message=data["message"],
            public=data["public"],
        )
        return self._answer(assignment.pk)

    @extend_schema(
        summary="Ask to return it (退单)",
        parameters=[_ASSIGNMENT_ID],
        request=ReasonSerializer,
        responses={201: CoordinationRequestSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def bounce(self, request: Request, pk: str) -> Response:
        """Ask to return it (退单) with ``reason``; the dispatcher decides."""
        assignment = self.get_object()
        data = _valid(ReasonSerializer, request.data)
        return self._requested(
            _call(
                workflow.assignment_request_bounce,
                assignment_id=assignment.pk,
                actor=request.user,
                reason=data["reason"],
            )
        )

    @extend_schema(
        summary="Ask the dispatcher to move it (转办)",
        parameters=[_ASSIGNMENT_ID],
        request=TransferInputSerializer,
        responses={201: CoordinationRequestSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: str) -> Response:
        """Ask the dispatcher to move it (转办): ``reason``, ``suggested_agency`` (code)."""
        assignment = self.get_object()
        data = _valid(TransferInputSerializer, request.data)
        suggested = data.get("suggested_agency")
        return self._requested(
            _call(
                workflow.assignment_request_transfer,
                assignment_id=assignment.pk,
                actor=request.user,
                reason=data["reason"],
                suggested_agency=suggested.code if suggested else "",
            )
        )

    @extend_schema(
        summary="Ask for co-handlers (协办)",
        parameters=[_ASSIGNMENT_ID],
        request=AgenciesInputSerializer,
        responses={201: CoordinationRequestSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cohandle(self, request: Request, pk: str) -> Response:
        """Ask for co-handlers (协办): ``agencies`` (codes), ``reason``."""
        assignment = self.get_object()
        data = _valid(AgenciesInputSerializer, request.data)
        return self._requested(
            _call(
                workflow.assignment_request_cohandlers,
                assignment_id=assignment.pk,
                actor=request.user,
                agencies=[a.code for a in data["agencies"]],
                reason=data["reason"],
            )
        )

    @extend_schema(
        summary="Summon departments (吹哨报到)",
        parameters=[_ASSIGNMENT_ID],
        request=AgenciesInputSerializer,
        responses={201: _SUMMONED, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def whistle(self, request: Request, pk: str) -> Response:
        """A street office summons departments (吹哨报到): ``agencies`` (codes), ``reason``.

        201 ``{"summoned": [assignments]}``: each with the short whistle deadline.
        """
        assignment = self.get_object()
        data = _valid(AgenciesInputSerializer, request.data)
        summoned = _call(
            workflow.assignment_whistle,
            assignment_id=assignment.pk,
            actor=request.user,
            agencies=[a.code for a in data["agencies"]],
            reason=data["reason"],
        )
        return Response(
            {"summoned": AssignmentSerializer(summoned, many=True).data},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Ask for more time (延期)",
        parameters=[_ASSIGNMENT_ID],
        request=ExtensionInputSerializer,
        responses={201: CoordinationRequestSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def extension(self, request: Request, pk: str) -> Response:
        """Ask for more time (延期): ``until`` (ISO 8601), ``reason``."""
        assignment = self.get_object()
        data = _valid(ExtensionInputSerializer, request.data)
        return self._requested(
            _call(
                workflow.assignment_request_extension,
                assignment_id=assignment.pk,
                actor=request.user,
                until=data["until"],
                reason=data["reason"],
            )
        )

    @extend_schema(
        summary="Appeal the latest rating as unfair",
        parameters=[_ASSIGNMENT_ID],
        request=ReasonSerializer,
        responses={201: CoordinationRequestSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def appeal(self, request: Request, pk: str) -> Response:
        """Appeal the latest rating as unfair (our addition to API.md): ``reason``."""
        assignment = self.get_object()
        data = _valid(ReasonSerializer, request.data)
        return self._requested(
            _call(
                workflow.feedback_appeal,
                assignment_id=assignment.pk,
                actor=request.user,
                reason=data["reason"],
            )
        )


# ---------------------------------------------------------------------------- dispatcher


class DispatchQueueView(APIView):
    """Issues in triage and open coordination requests, oldest first."""

    permission_classes = [permissions.IsAuthenticated, IsDispatcher]

    @extend_schema(
        summary="Issues in triage and open coordination requests (dispatcher)",
        responses={
            200: inline_serializer(
                "DispatchQueue",
                fields={
                    "triage": IssueSummarySerializer(many=True),
                    "requests": CoordinationRequestSerializer(many=True),
                },
            ),
            403: ERROR_403,
        },
    )
    def get(self, request: Request) -> Response:
        requests_ = requests_open()
        return Response(
            {
                "triage": IssueSummarySerializer(triage_queue()[:200], many=True).data,
                "requests": CoordinationRequestSerializer(requests_[:200], many=True).data,
            }
        )


_REQUEST_ID = id_parameter("The coordination request's id.")


class CoordinationRequestViewSet(viewsets.GenericViewSet):
    """Requests waiting for the dispatcher: ``?kind=&status=`` (``open`` unless said)."""

    lookup_value_regex = r"\d{1,18}"
    serializer_class = CoordinationRequestSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[CoordinationRequest]:
        return CoordinationRequest.objects.select_related(
            "issue", "assignment__agency", "requested_by", "decided_by"
        ).order_by("requested_at", "id")

    def get_object(self) -> CoordinationRequest:
        _require_dispatcher(self.request)
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def _answer(self, request_id: int) -> Response:
        return Response(CoordinationRequestSerializer(self.get_queryset().get(pk=request_id)).data)

    @extend_schema(
        summary="Coordination requests waiting for a decision (dispatcher)",
        parameters=[RequestFilterSerializer],
        responses={
            200: CoordinationRequestSerializer(many=True),
            400: ERROR_400,
            403: ERROR_403,
            404: ERROR_404,
        },
    )
    def list(self, request: Request) -> Response:
        if not is_dispatcher(request.user):
            self.permission_denied(request, message=_("This is for the dispatch centre."))
        filters = _valid(RequestFilterSerializer, request.query_params)
        found = self.get_queryset().filter(status=filters["status"])
        if filters.get("kind"):
            found = found.filter(kind=filters["kind"])
        page = self.paginate_queryset(found)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="One coordination request (dispatcher)",
        parameters=[_REQUEST_ID],
        responses={200: CoordinationRequestSerializer, 403: ERROR_403, 404: ERROR_404},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Approve (dispatcher)",
        parameters=[_REQUEST_ID],
        request=ApproveInputSerializer,
        responses={200: CoordinationRequestSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Approve with ``note``; ``reassign_to`` (code) says where a bounce or transfer goes."""
        decided = self.get_object()
        data = _valid(ApproveInputSerializer, request.data)
        target = data.get("reassign_to")
        _call(
            workflow.request_approve,
            request_id=decided.pk,
            actor=request.user,
            note=data["note"],
            reassign_to=target.code if target else "",
        )
        return self._answer(decided.pk)

    @extend_schema(
        summary="Reject (dispatcher)",
        parameters=[_REQUEST_ID],
        request=RejectInputSerializer,
        responses={200: CoordinationRequestSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        """Reject with ``note``: the assignment stays with its agency."""
        decided = self.get_object()
        data = _valid(RejectInputSerializer, request.data)
        _call(workflow.request_reject, request_id=decided.pk, actor=request.user, note=data["note"])
        return self._answer(decided.pk)


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
        data = _valid(FeedbackInputSerializer, request.data)
        try:
            workflow.issue_feedback(
                issue_id=issue.pk, rating=data["rating"], comment=data["comment"]
            )
        except ValueError as error:
            raise FieldErrors(detail={"rating": [str(error)]}) from error
        except TransitionNotAllowed as error:
            raise ActionRefused(detail=str(error)) from error
        return Response(TrackSerializer(issue_by_access_token(token=access_token)).data)


class TrackReopenView(APIView):
    """``reason``: reopen a resolved or closed issue within the reopen window."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [TrackThrottle]

    @extend_schema(
        summary="Reopen a resolved or closed issue (no login needed)",
        parameters=[ACCESS_TOKEN_PARAMETER],
        request=ReasonSerializer,
        responses={200: TrackSerializer, 400: ERROR_400, 404: ERROR_404, 429: ERROR_429},
    )
    def post(self, request: Request, access_token: str) -> Response:
        issue = issue_by_access_token(token=access_token)
        data = _valid(ReasonSerializer, request.data)
        _call(workflow.issue_reopen, issue_id=issue.pk, reason=data["reason"])
        return Response(TrackSerializer(issue_by_access_token(token=access_token)).data)


# ------------------------------------------------------------ managers and administrators


class CanSeeStats(permissions.BasePermission):
    """Managers of any organisation, the dispatcher and administrators."""

    def has_permission(self, request, view) -> bool:
        return can_see_stats(request.user)


class AgencyStatsView(APIView):
    """Per agency: the three rates and their companions for assignments received in
    ``[from, to)``; a date as ``to`` counts that whole day."""

    permission_classes = [permissions.IsAuthenticated, CanSeeStats]

    @extend_schema(
        summary="Per-agency rates (managers, dispatcher, administrators)",
        parameters=[StatsFilterSerializer],
        responses={200: AgencyRatesSerializer(many=True), 400: ERROR_400, 403: ERROR_403},
    )
    def get(self, request: Request) -> Response:
        period = _valid(StatsFilterSerializer, request.query_params)
        rates = agency_rates(start=period.get("from"), end=period.get("to"))
        return Response(AgencyRatesSerializer([r.as_dict() for r in rates], many=True).data)


class CanViewAgencies(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("agencies.view_agency")


@extend_schema_view(
    list=extend_schema(
        summary="Organisations (administrators)",
        responses={200: AgencySerializer, 403: ERROR_403, 404: ERROR_404},
    ),
    retrieve=extend_schema(
        summary="One organisation by code (administrators)",
        parameters=[
            OpenApiParameter(
                "code",
                {"type": "string", "pattern": "^[-a-zA-Z0-9_]{1,64}$"},
                OpenApiParameter.PATH,
                description="The agency's code.",
            )
        ],
        responses={200: AgencySerializer, 403: ERROR_403, 404: ERROR_404},
    ),
)
class AgencyViewSet(viewsets.ReadOnlyModelViewSet):
    """Organisations, by code (administrators)."""

    serializer_class = AgencySerializer
    permission_classes = [permissions.IsAuthenticated, CanViewAgencies]
    lookup_field = "code"
    queryset = Agency.objects.select_related("parent", "area").order_by("code")
