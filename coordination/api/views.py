"""The dispatcher's REST API: rule-set versions, publishing and the simulator."""

from __future__ import annotations

from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import RuleSet
from ..permissions import can_manage_rules
from ..rulesets import (
    RuleSetInvalid,
    RuleSetNotEditable,
    facts_from,
    ruleset_publish,
    simulate_facts,
    simulate_replay,
)
from .serializers import (
    ProblemSerializer,
    PublishInputSerializer,
    RuleSetSerializer,
    SimulateInputSerializer,
)


class CanManageRules(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return can_manage_rules(request.user)


class RuleSetViewSet(viewsets.ReadOnlyModelViewSet):
    """Rule-set versions, newest first; one is active."""

    serializer_class = RuleSetSerializer
    permission_classes = [permissions.IsAuthenticated, CanManageRules]
    queryset = RuleSet.objects.select_related("published_by").prefetch_related("rules")

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
