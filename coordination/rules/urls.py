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
    path("coordination/rules/<int:ruleset_id>/rules/new/", views.rule_edit, name="rule_create"),
    path(
        "coordination/rules/<int:ruleset_id>/rules/<int:rule_id>/",
        views.rule_edit,
        name="rule_edit",
    ),
    path(
        "coordination/rules/<int:ruleset_id>/rules/<int:rule_id>/delete/",
        views.rule_delete_view,
        name="rule_delete",
    ),
    path(
        "coordination/rules/<int:ruleset_id>/draft/",
        views.ruleset_draft_view,
        name="ruleset_draft",
    ),
]
