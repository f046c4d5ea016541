from django.urls import path

from . import views

urlpatterns = [
    path("coordination/rules/", views.ruleset_list, name="ruleset_list"),
    path("coordination/rules/<int:ruleset_id>/", views.ruleset_detail, name="ruleset_detail"),
    path(
        "coordination/rules/<int:ruleset_id>/publish/",
        views.ruleset_publish_view,
        name="ruleset_publish",
    ),
    path(
        "coordination/rules/<int:ruleset_id>/draft/",
        views.ruleset_draft_view,
        name="ruleset_draft",
    ),
]
