"""Open311 GeoReport v2 at /open311/v2/: every path ends in ``.xml`` or ``.json``."""

from django.urls import re_path

from . import views

app_name = "open311"

FMT = r"\.(?P<fmt>xml|json)$"
ID = r"[^/]+?"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(
        rf"^services/(?P<service_code>{ID})" + FMT,
        views.service_definition,
        name="service-definition",
    ),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(rf"^requests/(?P<service_request_id>{ID})" + FMT, views.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>{ID})" + FMT, views.token, name="token"),
    re_path(
        r"^servicerequestupdates" + FMT,
        views.service_request_updates,
        name="service-request-updates",
    ),
    # Anything else (another format, a typo): the spec's error list, not an HTML page.
    re_path(r"^(?P<rest>.*)$", views.unknown, name="unknown"),
]
