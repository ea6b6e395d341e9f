"""Django admin: a window on the data whose every write goes through the services.

Rows that carry derived state (hashtags, the search index, counters, provenance) are not edited
here field by field: captions and visibility go through ``photo_update``, deletions through the
services that keep counters and files right, and tags are read-only (they come from the CNN and
from captions). Staff see private photos only with the ``photos.view_private`` permission, and
every such look is logged.
"""

import logging

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from photos import services
from photos.models import Block, Comment, Follow, Like, Photo, PhotoTag, PhotoView, Tag, User
from photos.moderation import services as moderation_services
from photos.moderation.admin import ReasonActionForm
from photos.people import services as account_services
from photos.sensitive.models import NudityCheck

audit = logging.getLogger("socialsite.audit")

VIEW_PRIVATE = "photos.view_private"


def staff_may_see(user: User | None, photo: Photo) -> bool:
    """Return whether staff ``user`` may look at ``photo`` in admin: public ones always, others with
    the ``view_private`` permission (``user`` None asks about public ones only)."""
    public = photo.visibility == Photo.Visibility.PUBLIC and not photo.owner.is_private
    return public or (user is not None and user.has_perm(VIEW_PRIVATE))


class DeletesThroughServices:
    """A photo or an account takes its tags, likes and comments with it, through the service: those rows'
    read-only admins do not veto the deletion (Django would ask for each one's delete permission)."""

    def get_deleted_objects(self, objs, request: HttpRequest):
        deleted, counts, _, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that admin may look at but neither add nor edit: their writes belong to the services."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DeletesThroughServices, BaseUserAdmin):
    list_display = ["username", "display_name", "email", "is_private", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_private", "is_active", "is_staff", "history_paused"]
    search_fields = ["username", "display_name", "email"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Profile", {"fields": ["display_name", "bio", "avatar", "is_private", "history_paused"]}),
    )
    # An avatar is stored only after the upload checks strip and resize it: people set their own.
    # Suspension goes through the actions (tokens revoked, logged), not the is_active box.
    readonly_fields = ["avatar", "is_active"]
    action_form = ReasonActionForm
    actions = ["suspend_users", "unsuspend_users"]

    def _moderate(self, request: HttpRequest, queryset: QuerySet[User], action: str) -> None:
        try:
            for user in queryset:
                moderation_services.user_moderate(
                    user=user, moderator=request.user, action=action, reason=request.POST.get("reason", "")
                )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, f"Done for {queryset.count()} account(s).", messages.SUCCESS)

    @admin.action(description="Suspend selected accounts (no sign-in, content hidden)", permissions=["change"])
    def suspend_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._moderate(request, queryset, moderation_services.Action.SUSPEND)

    @admin.action(description="Lift the suspension of selected accounts", permissions=["change"])
    def unsuspend_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._moderate(request, queryset, moderation_services.Action.UNSUSPEND)

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_private" in form.changed_data:
            # Going public approves the waiting requests, as when the person does it themselves.
            account_services.user_update(user=obj, is_private=obj.is_private)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        account_services.users_delete(users=User.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        account_services.users_delete(users=queryset)


class PhotoTagInline(admin.TabularInline):
    model = PhotoTag
    extra = 0
    fields = ["tag", "source", "confidence", "classes", "rule", "model_version", "taxonomy_version"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class NudityCheckInline(admin.StackedInline):
    """What the nudity detector found on the photo: why it is, or is not, marked sensitive."""

    model = NudityCheck
    extra = 0
    fields = ["score", "marked", "review", "detections", "model", "checked_at"]
    readonly_fields = fields
    can_delete = False
    verbose_name = verbose_name_plural = "nudity detector"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Read with the photo: whoever may view photos reads why one is marked.
        return request.user.has_perm("photos.view_photo")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _preview(request: HttpRequest):
    """Return the thumbnail column for this request: a picture only where the staff member may see it."""
    if not hasattr(request, "photo_preview"):

        @admin.display(description="Photo")
        def preview(photo: Photo) -> str:
            if not photo.thumbnail:
                return "-"
            if not staff_may_see(request.user, photo):
                return f"({photo.get_visibility_display().lower()})"
            return format_html('<img src="{}" width="64" height="64" alt="" class="admin-thumb">', photo.thumbnail.url)

        request.photo_preview = preview
    return request.photo_preview


@admin.register(Photo)
class PhotoAdmin(DeletesThroughServices, admin.ModelAdmin):
    list_display = [
        "id",
        "owner",
        "short_caption",
        "visibility",
        "status",
        "is_hidden",
        "like_count",
        "comment_count",
        "created_at",
    ]
    list_filter = ["status", "visibility", "is_hidden", "is_sensitive", "alt_text_source", "created_at"]
    search_fields = ["caption", "owner__username", "photo_tags__tag__name"]
    list_select_related = ["owner"]
    fields = [
        "owner",
        "caption",
        "alt_text",
        "alt_text_source",
        "visibility",
        "is_hidden",
        "is_sensitive",
        "status",
        "status_reason",
        "created_at",
    ]
    readonly_fields = ["owner", "alt_text_source", "is_hidden", "is_sensitive", "status", "status_reason", "created_at"]
    date_hierarchy = "created_at"
    actions = ["hide_photos", "unhide_photos"]
    inlines = [PhotoTagInline, NudityCheckInline]

    class Media:
        css = {"all": ["css/admin.css"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # photos come in through the upload checks, on the site or the API

    def get_list_display(self, request: HttpRequest) -> list:
        return [self.list_display[0], _preview(request), *self.list_display[1:]]

    def get_list_display_links(self, request: HttpRequest, list_display) -> list:
        return ["id"]

    def get_fields(self, request: HttpRequest, obj=None) -> list:
        return [_preview(request), *self.fields]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list:
        return [_preview(request), *self.readonly_fields]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        photo = self.get_object(request, object_id)
        if photo is not None and staff_may_see(request.user, photo) and not staff_may_see(None, photo):
            audit.info("staff %s opened %s photo %s in admin", request.user.username, photo.visibility, photo.pk)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Photo, form, change: bool) -> None:
        # Through the service: a new caption re-reads its hashtags and rebuilds the search index;
        # alt text staff rewrite (say, a draft that misreads the photo) stops being a machine draft.
        alt_text = obj.alt_text if "alt_text" in form.changed_data else None
        services.photo_update(photo=obj, caption=obj.caption, visibility=obj.visibility, alt_text=alt_text)

    def delete_model(self, request: HttpRequest, obj: Photo) -> None:
        services.photo_delete(photo=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
        for photo in queryset:
            services.photo_delete(photo=photo)

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
class TagAdmin(ReadOnlyAdmin):
    list_display = ["name", "categories"]
    search_fields = ["name"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a tag goes when no photo carries it; renaming would break the search index


@admin.register(PhotoTag)
class PhotoTagAdmin(ReadOnlyAdmin):
    list_display = ["tag", "photo", "source", "confidence", "model_version", "taxonomy_version", "created_at"]
    list_filter = ["source", "model_version", "taxonomy_version"]
    search_fields = ["tag__name"]
    list_select_related = ["tag", "photo"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdmin):
    list_display = ["follower", "followee", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["follower__username", "followee__username"]
    list_select_related = ["follower", "followee"]

    def delete_model(self, request: HttpRequest, obj: Follow) -> None:
        services.follow_delete(follower=obj.follower, followee=obj.followee)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Follow]) -> None:
        for follow in queryset.select_related("follower", "followee"):
            self.delete_model(request, follow)


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ["blocker", "blocked", "created_at"]
    search_fields = ["blocker__username", "blocked__username"]
    list_select_related = ["blocker", "blocked"]

    def delete_model(self, request: HttpRequest, obj: Block) -> None:
        services.block_delete(blocker=obj.blocker, blocked=obj.blocked)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Block]) -> None:
        for block in queryset.select_related("blocker", "blocked"):
            self.delete_model(request, block)


@admin.register(Like)
class LikeAdmin(ReadOnlyAdmin):
    list_display = ["user", "photo", "created_at"]
    search_fields = ["user__username"]
    list_select_related = ["user", "photo"]

    def delete_model(self, request: HttpRequest, obj: Like) -> None:
        services.like_delete(user=obj.user, photo=obj.photo)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Like]) -> None:
        services.interactions_delete(rows=queryset)


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["author", "photo", "text", "created_at"]
    search_fields = ["text", "author__username"]
    list_select_related = ["author", "photo"]

    def delete_model(self, request: HttpRequest, obj: Comment) -> None:
        services.comment_delete(comment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        services.interactions_delete(rows=queryset)


@admin.register(PhotoView)
class PhotoViewAdmin(ReadOnlyAdmin):
    list_display = ["user", "photo", "viewed_at"]
    search_fields = ["user__username"]
    list_filter = ["viewed_at"]
    list_select_related = ["user", "photo"]


# The similar-photos wing's admin lives beside it; importing it registers it.
# The owner's tag corrections register their own admin (photos/corrections/admin.py).
from photos.corrections import admin as corrections_admin  # noqa: E402, F401
from photos.learned import admin as learned_admin  # noqa: E402, F401
from photos.similar import admin as similar_admin  # noqa: E402, F401
