"""The classifier's rows in the admin: versions and labels to look at; activating and
rolling back live on /coordination/classifier/, where the model file is checked first."""

from django.contrib import admin

from .models import (
    CategoryLabel,
    ClassifierActivation,
    ClassifierVersion,
    CorpusText,
    DuplicateCandidate,
)


@admin.register(ClassifierVersion)
class ClassifierVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "status", "source", "n_examples", "threshold", "trained_at")
    list_filter = ("status", "source")
    exclude = ("model",)
    readonly_fields = (
        "version",
        "status",
        "source",
        "digest",
        "spec",
        "description",
        "labels",
        "threshold",
        "validation",
        "n_examples",
        "size",
        "train_seconds",
        "trained_at",
        "trained_by",
        "activated_at",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("model")

    def has_add_permission(self, request):
        return False  # versions come from training (manage.py train_classifier)


@admin.register(ClassifierActivation)
class ClassifierActivationAdmin(admin.ModelAdmin):
    list_display = ("classifier", "action", "previous", "actor", "at")
    readonly_fields = ("classifier", "previous", "action", "actor", "at", "note")

    def has_add_permission(self, request):
        return False


@admin.register(CategoryLabel)
class CategoryLabelAdmin(admin.ModelAdmin):
    list_display = ("issue", "category", "kind", "suggested", "actor", "at", "bounced")
    list_filter = ("kind", "bounced")
    raw_id_fields = ("issue",)
    readonly_fields = ("issue", "suggested", "confidence", "classifier_version", "actor", "at")


@admin.register(CorpusText)
class CorpusTextAdmin(admin.ModelAdmin):
    list_display = ("corpus", "label", "category", "title", "imported_at")
    list_filter = ("corpus", "category")
    search_fields = ("title", "label")
    readonly_fields = ("digest", "imported_at")


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(admin.ModelAdmin):
    list_display = (
        "issue",
        "other",
        "score",
        "distance_m",
        "found_at",
        "proposed_by",
        "dismissed_at",
    )
    raw_id_fields = ("issue", "other")
    readonly_fields = ("found_at",)
