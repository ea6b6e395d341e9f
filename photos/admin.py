from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html

from photos import services
from photos.models import Block, Comment, Follow, Like, Photo, PhotoTag, PhotoView, Tag, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "email", "is_private", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_private", "is_active", "is_staff", "history_paused"]
    search_fields = ["username", "display_name", "email"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Profile", {"fields": ["display_name", "bio", "avatar", "is_private", "history_paused"]}),
    )


class PhotoTagInline(admin.TabularInline):
    model = PhotoTag
    extra = 0
    fields = ["tag", "source", "confidence", "classes", "rule", "model_version", "taxonomy_version"]
    readonly_fields = ["classes", "rule", "model_version", "taxonomy_version"]
    autocomplete_fields = ["tag"]


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "preview",
        "owner",
        "short_caption",
        "visibility",
        "status",
        "is_hidden",
        "like_count",
        "comment_count",
        "created_at",
    ]
    list_display_links = ["id", "preview"]
    list_filter = ["status", "visibility", "is_hidden", "created_at"]
    search_fields = ["caption", "owner__username", "photo_tags__tag__name"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["preview", "width", "height", "tagging_attempts", "tagged_at", "like_count", "comment_count"]
    date_hierarchy = "created_at"
    actions = ["hide_photos", "unhide_photos"]
    inlines = [PhotoTagInline]

    @admin.display(description="Photo")
    def preview(self, photo: Photo) -> str:
        if not photo.thumbnail:
            return "-"
        # No style attribute (the Content-Security-Policy refuses inline styles): a width alone keeps the shape.
        return format_html('<img src="{}" width="64" alt="">', photo.thumbnail.url)

    @admin.display(description="Caption")
    def short_caption(self, photo: Photo) -> str:
        return photo.caption[:60]

    @admin.action(description="Hide selected photos (only their owners will see them)")
    def hide_photos(self, request, queryset) -> None:
        count = services.photos_hide(photo_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Hid {count} photo(s).", messages.SUCCESS)

    @admin.action(description="Show selected hidden photos again")
    def unhide_photos(self, request, queryset) -> None:
        count = services.photos_hide(photo_ids=list(queryset.values_list("pk", flat=True)), hidden=False)
        self.message_user(request, f"Showed {count} photo(s) again.", messages.SUCCESS)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "categories"]
    search_fields = ["name"]


@admin.register(PhotoTag)
class PhotoTagAdmin(admin.ModelAdmin):
    list_display = ["tag", "photo", "source", "confidence", "model_version", "taxonomy_version", "created_at"]
    list_filter = ["source", "model_version", "taxonomy_version"]
    search_fields = ["tag__name"]
    list_select_related = ["tag", "photo"]
    raw_id_fields = ["photo", "tag"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "followee", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["follower__username", "followee__username"]
    list_select_related = ["follower", "followee"]
    raw_id_fields = ["follower", "followee"]


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ["blocker", "blocked", "created_at"]
    search_fields = ["blocker__username", "blocked__username"]
    list_select_related = ["blocker", "blocked"]
    raw_id_fields = ["blocker", "blocked"]


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ["user", "photo", "created_at"]
    search_fields = ["user__username"]
    list_select_related = ["user", "photo"]
    raw_id_fields = ["user", "photo"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["author", "photo", "text", "created_at"]
    search_fields = ["text", "author__username"]
    list_select_related = ["author", "photo"]
    raw_id_fields = ["author", "photo"]


@admin.register(PhotoView)
class PhotoViewAdmin(admin.ModelAdmin):
    list_display = ["user", "photo", "viewed_at"]
    search_fields = ["user__username"]
    list_filter = ["viewed_at"]
    list_select_related = ["user", "photo"]
    raw_id_fields = ["user", "photo"]
