"""Admin: owners' tag corrections, and per taxonomy rule how often its tags were confirmed and removed."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from photos.admin import ReadOnlyAdmin
from photos.corrections.models import TagCorrection
from photos.corrections.selectors import rule_stats


@admin.register(TagCorrection)
class TagCorrectionAdmin(ReadOnlyAdmin):
    list_display = ["tag", "photo", "action", "rule", "source", "confidence", "updated_at"]
    list_filter = ["action", "source", "taxonomy_version"]
    search_fields = ["tag__name", "rule"]
    list_select_related = ["tag", "photo"]
    change_list_template = "admin/photos/tagcorrection/change_list.html"

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A verdict is the owner's: lifting a tombstone here would let the CNN bring a removed tag back.
        return False

    def get_urls(self):
        report = self.admin_site.admin_view(self.rules_view)
        return [path("rules/", report, name="photos_tagcorrection_rules"), *super().get_urls()]

    def rules_view(self, request: HttpRequest) -> HttpResponse:
        """Show each taxonomy rule's confirmed and removed tags, the most removed first: bad rules on top."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Tag corrections per taxonomy rule",
            "stats": rule_stats(),
        }
        return TemplateResponse(request, "admin/photos/tagcorrection/rules.html", context)
