"""Values every page needs: the platform's name and the user's roles for the navigation."""

from django.conf import settings
from django.http import HttpRequest

from coordination.dispatch.permissions import (
    can_read_internal_articles,
    can_see_hot_issues,
    can_use_desk,
    is_agency_member,
    is_dispatcher,
    managed_agency_ids,
)
from coordination.rules.permissions import can_manage_rules


def platform(request: HttpRequest) -> dict:
    user = request.user
    return {
        "platform_name": settings.PLATFORM_NAME,
        "nav_is_staff": is_agency_member(user) if user.is_authenticated else False,
        "nav_is_dispatcher": is_dispatcher(user) if user.is_authenticated else False,
        "nav_can_manage_rules": can_manage_rules(user),
        "nav_manages": bool(managed_agency_ids(user)),
        "nav_sees_hot": can_see_hot_issues(user) if user.is_authenticated else False,
        "nav_desk": can_use_desk(user) if user.is_authenticated else False,
        "nav_knowledge": can_read_internal_articles(user) if user.is_authenticated else False,
        "map_tiles": settings.MAP_TILE_URL,
        "map_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
