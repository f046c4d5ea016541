from django.contrib import admin

from .models import Article, ArticleVersion, SuggestionEvent


class ArticleVersionInline(admin.TabularInline):
    model = ArticleVersion
    extra = 0
    can_delete = False
    readonly_fields = ("version", "kind", "status", "question", "actor", "note", "at")
    fields = readonly_fields


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("question", "organisation", "category", "audience", "status", "version")
    list_filter = ("status", "audience", "organisation")
    search_fields = ("question", "answer")
    readonly_fields = ("status", "version", "search_text", "published_at")
    inlines = [ArticleVersionInline]


@admin.register(SuggestionEvent)
class SuggestionEventAdmin(admin.ModelAdmin):
    list_display = ("visit", "kind", "article", "at")
    list_filter = ("kind",)
