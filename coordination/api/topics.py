"""``/api/v1/topics/``: topics (专题), their issues, milestones and progress.

Everyone who may see a topic reads it here (the gate's ``topic_role``: the dispatcher,
managers and leaders, and the staff of its lead and participating organisations); member
issues appear as the public may see them, with their id only for those who may see the case.
The dispatcher creates and steers topics; the lead and participants report progress and
reach milestones. A topic the user may not see answers 404.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import Agency
from coordination.dispatch.permissions import is_dispatcher, topic_acting_agency_ids
from coordination.hot.models import HotIssue, Milestone, Topic
from coordination.hot.selectors import topic_detail, topic_for_user, topics_visible_to
from coordination.hot.services import topics as services
from issues.models import Issue
from platform_gov.openapi import ERROR_400, ERROR_403, ERROR_404, id_parameter

from .common import ACTION_ERRORS, agency_field, id_field, valid

_TOPIC_ID = id_parameter("The topic's id.")


class TopicSerializer(serializers.ModelSerializer):
    lead = serializers.SlugRelatedField(slug_field="code", read_only=True)
    participants = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    hot_issues = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Topic
        fields = [
            "id",
            "title",
            "goal",
            "lead",
            "participants",
            "status",
            "due_on",
            "summary",
            "hot_issues",
            "created_at",
            "completed_at",
        ]


class MilestoneSerializer(serializers.ModelSerializer):
    # Null: a milestone of the topic as a whole, no one organisation's.
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Milestone
        fields = ["id", "title", "due_on", "agency", "done_at"]


class TopicMemberSerializer(serializers.Serializer):
    issue = serializers.SerializerMethodField(help_text="The issue's id, for those who may see it.")
    title = serializers.CharField()
    area = serializers.SerializerMethodField()
    status = serializers.CharField()
    filed_at = serializers.DateTimeField()
    supports = serializers.IntegerField()

    def get_issue(self, row) -> int | None:
        return row.issue_id if row.visible else None

    def get_area(self, row) -> str:
        return row.public.area if row.public else ""


class TopicEventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    at = serializers.DateTimeField()
    agency = serializers.CharField(source="agency.code", default=None, allow_null=True)
    note = serializers.CharField()
    public = serializers.BooleanField()


class TopicDetailSerializer(TopicSerializer):
    role = serializers.CharField(help_text="dispatcher, lead, participant or observer")
    milestones = MilestoneSerializer(many=True)
    members = TopicMemberSerializer(many=True)
    proposals = TopicMemberSerializer(many=True, help_text="For the dispatcher only.")
    events = TopicEventSerializer(many=True)

    class Meta(TopicSerializer.Meta):
        fields = [
            *TopicSerializer.Meta.fields,
            "role",
            "milestones",
            "members",
            "proposals",
            "events",
        ]


class TopicCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    goal = serializers.CharField(max_length=4000)
    lead = agency_field()
    participants = agency_field(many=True, required=False, default=list)
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    hot_issue = serializers.PrimaryKeyRelatedField(
        queryset=HotIssue.objects.all(), required=False, allow_null=True, default=None
    )
    issues = serializers.PrimaryKeyRelatedField(
        queryset=Issue.objects.all(), many=True, required=False, default=list
    )


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000)
    public = serializers.BooleanField(required=False, default=False)
    agency = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Agency.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Which of the user's organisations on the topic speaks (default: the first).",
    )


class MilestoneInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    due_on = serializers.DateField()
    agency = agency_field(required=False, allow_null=True, default=None)


class MilestoneDoneSerializer(serializers.Serializer):
    milestone = serializers.IntegerField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class IssuesInputSerializer(serializers.Serializer):
    issues = serializers.PrimaryKeyRelatedField(queryset=Issue.objects.all(), many=True)


class DecideSerializer(serializers.Serializer):
    issue = id_field()
    confirm = serializers.BooleanField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CompleteSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=4000)


class TopicViewSet(viewsets.GenericViewSet):
    lookup_value_regex = r"\d{1,18}"
    serializer_class = TopicSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Topic]:
        return topics_visible_to(self.request.user).prefetch_related("participants", "hot_issues")

    def _topic(self) -> tuple[Topic, str]:
        return topic_for_user(user=self.request.user, topic_id=int(self.kwargs["pk"]))

    def _steer(self) -> Topic:
        topic, role = self._topic()
        if role != "dispatcher":
            raise Http404("No such topic.")
        return topic

    def _detail(self, topic_id: int, *, code: int = status.HTTP_200_OK) -> Response:
        topic, role = topic_for_user(user=self.request.user, topic_id=topic_id)
        detail = topic_detail(topic=topic, role=role, user=self.request.user)
        data = TopicSerializer(topic).data
        data.update(
            role=role,
            milestones=MilestoneSerializer(detail.milestones, many=True).data,
            members=TopicMemberSerializer(detail.members, many=True).data,
            proposals=TopicMemberSerializer(detail.proposals, many=True).data,
            events=TopicEventSerializer(detail.events, many=True).data,
        )
        return Response(data, status=code)

    @extend_schema(
        summary="Topics the user may see",
        responses={200: TopicSerializer(many=True), 403: ERROR_403},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TopicSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a topic from a hot issue and/or issues (dispatcher)",
        request=TopicCreateSerializer,
        responses={201: TopicDetailSerializer, 400: ERROR_400, 403: ERROR_403},
    )
    def create(self, request: Request) -> Response:
        if not is_dispatcher(request.user):
            self.permission_denied(request, message="This is for the dispatch centre.")
        data = valid(TopicCreateSerializer, request.data)
        topic = services.topic_create(
            actor=request.user,
            title=data["title"],
            goal=data["goal"],
            lead=data["lead"],
            participants=data["participants"],
            due_on=data["due_on"],
            hot_issue=data["hot_issue"],
            issues=data["issues"],
        )
        return self._detail(topic.pk, code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="One topic: organisations, milestones, issues, record",
        parameters=[_TOPIC_ID],
        responses={200: TopicDetailSerializer, 404: ERROR_404},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        topic, _role = self._topic()
        return self._detail(topic.pk)

    @extend_schema(
        summary="Report progress (the lead, participants, the dispatcher)",
        parameters=[_TOPIC_ID],
        request=NoteSerializer,
        responses={201: TopicDetailSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str) -> Response:
        topic, role = self._topic()
        acting = topic_acting_agency_ids(
            request.user,
            lead_id=topic.lead_id,
            participant_ids=set(topic.participants.values_list("pk", flat=True)),
        )
        if role != "dispatcher" and not acting:
            raise Http404("No such topic.")
        data = valid(NoteSerializer, request.data)
        agency = data["agency"]
        if agency is not None and agency.pk not in acting:
            raise Http404("No such organisation on this topic.")
        if agency is None and acting:
            agency = Agency.objects.get(pk=acting[0])
        services.topic_note(
            topic_id=topic.pk,
            actor=request.user,
            agency=agency,
            note=data["note"],
            public=data["public"],
        )
        return self._detail(topic.pk, code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Set a milestone (dispatcher)",
        parameters=[_TOPIC_ID],
        request=MilestoneInputSerializer,
        responses={201: TopicDetailSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def milestones(self, request: Request, pk: str) -> Response:
        topic = self._steer()
        data = valid(MilestoneInputSerializer, request.data)
        services.milestone_add(
            topic_id=topic.pk,
            actor=request.user,
            title=data["title"],
            due_on=data["due_on"],
            agency=data["agency"],
        )
        return self._detail(topic.pk, code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="A milestone reached (the dispatcher, the lead, or its organisation)",
        parameters=[_TOPIC_ID],
        request=MilestoneDoneSerializer,
        responses={200: TopicDetailSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="milestone-done")
    def milestone_done(self, request: Request, pk: str) -> Response:
        topic, role = self._topic()
        data = valid(MilestoneDoneSerializer, request.data)
        milestone = Milestone.objects.filter(pk=data["milestone"], topic=topic).first()
        if milestone is None:
            raise Http404("No such milestone.")
        acting = topic_acting_agency_ids(
            request.user,
            lead_id=topic.lead_id,
            participant_ids=set(topic.participants.values_list("pk", flat=True)),
        )
        allowed = [a for a in acting if a in (topic.lead_id, milestone.agency_id)]
        if role != "dispatcher" and not allowed:
            raise Http404("No such milestone.")
        services.milestone_done(
            milestone_id=milestone.pk,
            actor=request.user,
            agency=Agency.objects.get(pk=allowed[0]) if allowed else None,
            note=data["note"],
        )
        return self._detail(topic.pk)

    @extend_schema(
        summary="Add issues by hand (dispatcher)",
        parameters=[_TOPIC_ID],
        request=IssuesInputSerializer,
        responses={200: TopicDetailSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def issues(self, request: Request, pk: str) -> Response:
        topic = self._steer()
        data = valid(IssuesInputSerializer, request.data)
        services.topic_add_issues(topic_id=topic.pk, actor=request.user, issues=data["issues"])
        return self._detail(topic.pk)

    @extend_schema(
        summary="Confirm or turn down a proposed issue (dispatcher)",
        parameters=[_TOPIC_ID],
        request=DecideSerializer,
        responses={200: TopicDetailSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        topic = self._steer()
        data = valid(DecideSerializer, request.data)
        services.topic_member_decide(
            topic_id=topic.pk,
            issue_id=data["issue"],
            actor=request.user,
            confirm=data["confirm"],
            note=data["note"],
        )
        return self._detail(topic.pk)

    @extend_schema(
        summary="The topic is done; its residents are told (dispatcher)",
        parameters=[_TOPIC_ID],
        request=CompleteSerializer,
        responses={200: TopicDetailSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        topic = self._steer()
        data = valid(CompleteSerializer, request.data)
        services.topic_complete(topic_id=topic.pk, actor=request.user, summary=data["summary"])
        return self._detail(topic.pk)
