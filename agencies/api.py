"""``/api/v1/agencies/``: the organisations, by code (administrators)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.routers import SimpleRouter

from platform_gov.openapi import ERROR_403, ERROR_404

from .models import Agency


class AgencySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Agency
        fields = ["code", "name", "name_zh", "name_en", "kind", "parent", "area", "active"]


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


router = SimpleRouter()
router.register("agencies", AgencyViewSet, basename="api-agency")
urlpatterns = router.urls
