"""Admin: near-duplicate groups across the site, read-only (the worker finds them; deleting goes by the photo)."""

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from photos.similar.models import PhotoDuplicate


def _photo_link(photo_id: int) -> str:
    return format_html('<a href="{}">photo {}</a>', reverse("admin:photos_photo_change", args=[photo_id]), photo_id)


@admin.register(PhotoDuplicate)
class PhotoDuplicateAdmin(admin.ModelAdmin):
    """One row per copy, grouped by cluster (the earliest photo of each group), biggest groups first."""

    list_display = ["cluster_name", "cluster_photos", "copy", "of", "kind", "similarity", "hash_distance", "found_at"]
    list_filter = ["kind"]
    list_select_related = False
    search_fields = ["=cluster__id", "=photo__id", "photo__owner__username"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PhotoDuplicate]:
        members = (
            PhotoDuplicate.objects.filter(cluster=OuterRef("cluster"))
            .order_by()
            .values("cluster")
            .annotate(n=Count("photo", distinct=True))
            .values("n")
        )
        sized = super().get_queryset(request).annotate(size=Subquery(members, output_field=IntegerField()))
        return sized.order_by("-size", "-cluster_id", "photo_id")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="cluster", ordering="cluster_id")
    def cluster_name(self, row: PhotoDuplicate) -> str:
        url = reverse("admin:photos_photoduplicate_changelist") + f"?q={row.cluster_id}"
        return format_html('<a href="{}">Cluster of photo {}</a>', url, row.cluster_id)

    @admin.display(description="size", ordering="size")
    def cluster_photos(self, row: PhotoDuplicate) -> str:
        return f"{row.size + 1} photos"  # the copies and the cluster's first photo

    @admin.display(description="copy")
    def copy(self, row: PhotoDuplicate) -> str:
        return _photo_link(row.photo_id)

    @admin.display(description="of")
    def of(self, row: PhotoDuplicate) -> str:
        return _photo_link(row.original_id)
