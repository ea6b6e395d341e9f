"""The moderation queue in Django admin: one row per reported thing, actions through the services.

Imported by photos.admin so that Django's admin autodiscovery finds it.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from photos.limits import MODERATION_REASON_MAX_LENGTH
from photos.moderation import services
from photos.moderation.models import ModerationAction, ModerationCase, Report
from photos.moderation.selectors import moderation_queue

Action = ModerationAction.Kind


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        required=False, max_length=MODERATION_REASON_MAX_LENGTH, help_text="Why (logged; quoted in a warning)."
    )


class ReportInline(admin.TabularInline):
    model = Report
    extra = 0
    fields = ["reporter", "reason", "text", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # A case is read with its reports: whoever may view the queue reads them.
        return request.user.has_perm("photos.view_moderationcase")


def _resolver(action: str, description: str):
    @admin.action(description=description)
    def resolve(modeladmin: "ModerationCaseAdmin", request: HttpRequest, queryset: QuerySet[ModerationCase]) -> None:
        reason = request.POST.get("reason", "")
        done = 0
        for case in queryset:
            try:
                services.case_resolve(case=case, moderator=request.user, action=action, reason=reason)
            except ValidationError as error:
                text = " ".join(" ".join(messages_) for messages_ in error.message_dict.values())
                modeladmin.message_user(request, f"{case}: {text}", messages.ERROR)
            else:
                done += 1
        if done:
            modeladmin.message_user(request, f"{description}: {done} case(s).", messages.SUCCESS)

    resolve.__name__ = f"case_{action}"
    return resolve


@admin.register(ModerationCase)
class ModerationCaseAdmin(admin.ModelAdmin):
    list_display = ["id", "target_kind", "owner", "report_count", "last_reported_at", "status"]
    list_display_links = ["id"]
    list_filter = ["status"]
    fields = ["owner", "status", "report_count", "last_reported_at", "created_at", "resolved_at"]
    readonly_fields = fields
    inlines = [ReportInline]
    action_form = ReasonActionForm

    class Media:
        css = {"all": ["css/admin.css"]}

    actions = [
        _resolver(Action.HIDE, "Hide (only its owner sees it)"),
        _resolver(Action.DELETE, "Delete the photo or comment"),
        _resolver(Action.WARN, "Warn its owner"),
        _resolver(Action.SUSPEND, "Suspend the owner's account"),
        _resolver(Action.DISMISS, "Dismiss (no action)"),
        _resolver(Action.UNMARK, "Remove the photo's sensitive mark"),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ModerationCase]:
        # The open queue unless the status filter asks for closed cases (the record).
        return moderation_queue(status=None if "status__exact" in request.GET else ModerationCase.Status.OPEN)

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return ["-report_count", "-last_reported_at", "-id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # cases open from reports

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # acted on through the actions only

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # dismiss instead: the queue keeps its record

    def get_actions(self, request: HttpRequest):
        # The actions change content, so ask for the "change" permission on cases explicitly.
        actions = super().get_actions(request)
        if not request.user.has_perm("photos.change_moderationcase"):
            return {}
        return actions

    @admin.display(description="Owner")
    def owner(self, case: ModerationCase):
        person = services.target_owner(case.target)
        link = reverse("admin:photos_user_change", args=[person.pk])
        suspended = "" if person.is_active else " (suspended)"
        return format_html('<a href="{}">{}</a>{}', link, person.username, suspended)

    def get_list_display(self, request: HttpRequest) -> list:
        return [*self.list_display[:2], _content(request), *self.list_display[2:]]

    def get_fields(self, request: HttpRequest, obj=None) -> list:
        return [_content(request), *self.fields]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list:
        return self.get_fields(request, obj)


def _content(request: HttpRequest):
    """Return the content column for this request: a private photo only with the permission, and logged."""
    from photos.admin import audit, staff_may_see  # photos.admin imports this module

    @admin.display(description="Content")
    def content(case: ModerationCase) -> str:
        kind, target = case.target_kind, case.target
        if kind == "comment":
            link = reverse("admin:photos_photo_change", args=[target.photo_id])
            hidden = " [hidden]" if target.is_hidden else ""
            return format_html('"{}"{} on <a href="{}">photo {}</a>', target.text, hidden, link, target.photo_id)
        if kind == "account":
            return format_html("{}: {}", target.name, target.bio[:200] or "(no bio)")
        link = reverse("admin:photos_photo_change", args=[target.pk])
        hidden = " [hidden]" if target.is_hidden else ""
        if not target.thumbnail:
            return format_html('<a href="{}">photo {}</a>{} (no copy yet)', link, target.pk, hidden)
        if not staff_may_see(request.user, target):
            return format_html(
                '<a href="{}">photo {}</a>{} ({}, not shown)', link, target.pk, hidden, target.visibility
            )
        if not staff_may_see(None, target):
            audit.info("staff %s saw %s photo %s in the moderation queue", request.user, target.visibility, target.pk)
        return format_html(
            '<a href="{}"><img src="{}" width="96" height="96" alt="" class="admin-thumb"></a>{} {}{}',
            link,
            target.thumbnail.url,
            hidden,
            target.caption[:120],
            _nudity_summary(target),
        )

    return content


def _nudity_summary(photo) -> str:
    """Return what the nudity detector saw on the photo, for deciding an owner's unmark request."""
    check = getattr(photo, "nudity", None)
    if check is None:
        return ""
    seen = ", ".join(
        f"{d['label'].lower().replace('_', ' ')} {d['score']:.2f}"
        + ("" if d.get("skin") is None else f" (skin {d['skin']:.0%})")
        for d in check.detections[:4]
    )
    marked = "marked it" if check.marked else "did not mark it"
    return format_html(
        '<br><small class="nudity">Nudity detector: {}, {}; saw: {}</small>',
        f"{check.score:.2f}",
        marked,
        seen or "nothing",
    )


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "target_kind", "target_id", "subject", "moderator", "reason"]
    list_filter = ["kind", "target_kind"]
    search_fields = ["reason", "subject__username", "moderator__username"]
    list_select_related = ["subject", "moderator"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the log is the record of what was done
