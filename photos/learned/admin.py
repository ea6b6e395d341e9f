"""Admin: people's learned tags, read-only (their owner changes them; deleting one goes through the service)."""

from django.contrib import admin
from django.http import HttpRequest

from photos.admin import ReadOnlyAdmin
from photos.learned import services
from photos.learned.models import LearnedTag, LearnedTagVersion


class VersionInline(admin.TabularInline):
    model = LearnedTagVersion
    fields = ["number", "precision", "recall", "threshold", "target_met", "positives", "negatives", "train_seconds"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(LearnedTag)
class LearnedTagAdmin(ReadOnlyAdmin):
    list_display = ["tag", "owner", "state", "is_active", "current", "updated_at"]
    list_filter = ["state", "is_active"]
    search_fields = ["tag__name", "owner__username"]
    list_select_related = ["tag", "owner", "current"]
    exclude = ["current"]
    inlines = [VersionInline]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def delete_model(self, request: HttpRequest, obj: LearnedTag) -> None:
        # Through the service: the tags it gave come off the photos, and the search index follows.
        services.learned_tag_delete(actor=obj.owner, learned_tag=obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
