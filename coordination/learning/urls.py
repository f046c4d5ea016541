from django.urls import path

from . import views

urlpatterns = [
    path("coordination/classifier/", views.classifier_list, name="classifier_list"),
    path(
        "coordination/classifier/<int:version_id>/",
        views.classifier_detail,
        name="classifier_detail",
    ),
    path(
        "coordination/classifier/<int:version_id>/activate/",
        views.classifier_activate_view,
        name="classifier_activate",
    ),
    path(
        "coordination/classifier/rollback/",
        views.classifier_rollback_view,
        name="classifier_rollback",
    ),
]
