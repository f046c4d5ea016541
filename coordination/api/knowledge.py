"""``GET /api/v1/knowledge/search/?q=``: the knowledge base's published answers best matching
a question (Chinese segmented with jieba). Anyone reads the public ones; staff of any
organisation, operators and the dispatcher the internal ones too."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.dispatch.permissions import can_read_internal_articles
from coordination.knowledge.search import live_articles, search
from platform_gov.openapi import ERROR_400

from .common import valid

MAX_LIMIT = 20


class ArticleHitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="article.pk")
    question = serializers.CharField(source="article.question")
    answer = serializers.CharField(source="article.answer")
    category = serializers.CharField(source="article.category.code", allow_null=True, default=None)
    audience = serializers.CharField(source="article.audience")
    version = serializers.IntegerField(source="article.version")
    score = serializers.FloatField()


class KnowledgeQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=300)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=5)


class KnowledgeSearchView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Search the knowledge base's published answers",
        parameters=[KnowledgeQuerySerializer],
        responses={200: ArticleHitSerializer(many=True), 400: ERROR_400},
    )
    def get(self, request: Request) -> Response:
        query = valid(KnowledgeQuerySerializer, request.query_params)
        internal = request.user.is_authenticated and can_read_internal_articles(request.user)
        hits = search(query["q"], articles=live_articles(internal=internal), limit=query["limit"])
        return Response(ArticleHitSerializer(hits, many=True).data)
