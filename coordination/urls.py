"""The dispatcher's pages, gathered from its rooms under one namespace (``coordination:``),
so that templates and bookmarks name a page the same whichever room serves it."""

from coordination.desk.urls import urlpatterns as desk_urls
from coordination.dispatch.urls import urlpatterns as dispatch_urls
from coordination.hot.urls import urlpatterns as hot_urls
from coordination.knowledge.urls import urlpatterns as knowledge_urls
from coordination.learning.urls import urlpatterns as learning_urls
from coordination.outbound.urls import urlpatterns as outbound_urls
from coordination.reporting.urls import urlpatterns as reporting_urls
from coordination.rules.urls import urlpatterns as rules_urls

app_name = "coordination"

urlpatterns = [
    *dispatch_urls,
    *rules_urls,
    *outbound_urls,
    *reporting_urls,
    *learning_urls,
    *hot_urls,
    *knowledge_urls,
    *desk_urls,
]
