"""Writes of moderation: reporting, and each thing staff may do about a case, logged and told.

Every action closes the case, writes a ``ModerationAction`` (who, when, why) and tells each
reporter the outcome in words that say nothing about the reported person beyond "we acted" or
"we did not": not whether they were warned, suspended or deleted.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from knox.models import AuthToken

from photos import services as social
from photos.limits import MODERATION_REASON_MAX_LENGTH
from photos.models import Comment, Photo, User
from photos.moderation.models import ModerationAction, ModerationCase, Report
from photos.notifications.services import notice_create_on_commit

Action = ModerationAction.Kind
ALREADY_REPORTED = "You have already reported this; it is waiting for review."
# What each kind of target can have done to it (suspend acts on the person behind it).
ACTIONS = {
    "photo": {Action.HIDE, Action.DELETE, Action.WARN, Action.SUSPEND, Action.DISMISS, Action.UNMARK},
    "comment": {Action.HIDE, Action.DELETE, Action.WARN, Action.SUSPEND, Action.DISMISS},
    "account": {Action.WARN, Action.SUSPEND, Action.DISMISS},
}
NOUNS = {"photo": "photo", "comment": "comment", "account": "account"}


def target_owner(target: Photo | Comment | User) -> User:
    """Return the person a target belongs to: a photo's owner, a comment's author, the account itself."""
    if isinstance(target, Photo):
        return target.owner
    if isinstance(target, Comment):
        return target.author
    return target


def _target_field(target: Photo | Comment | User) -> str:
    if isinstance(target, Photo):
        return "photo"
    if isinstance(target, Comment):
        return "comment"
    if isinstance(target, User):
        return "account"
    raise TypeError(f"cannot report a {type(target).__name__}")


def report_create(*, reporter: User, target: Photo | Comment | User, reason: str, text: str = "") -> Report:
    """Report ``target`` (a photo, comment or account the caller has been allowed to see).

    Reports of one target gather in its open case; a person has at most one report in it, so at most
    one open report per target (both enforced by the database). Raise ValidationError for one's own
    content, an unknown reason, too long a text, or a second open report.
    """
    field = _target_field(target)
    if reason == Report.Reason.UNMARK:
        raise ValidationError({"reason": ["Choose one of the reasons offered."]})
    if target_owner(target).pk == reporter.pk:
        raise ValidationError({"target": ["You cannot report your own " + NOUNS[field] + "."]})
    report = Report(reporter=reporter, reason=reason, text=text.strip())
    report.full_clean(exclude=["case"])
    now = timezone.now()
    try:
        with transaction.atomic():
            case = _open_case(field, target)
            report.case = case
            report.save()
            ModerationCase.objects.filter(pk=case.pk).update(report_count=F("report_count") + 1, last_reported_at=now)
    except IntegrityError:
        raise ValidationError({"target": [ALREADY_REPORTED]}) from None
    return report


def sensitive_review_request(*, photo: Photo, text: str = "") -> Report:
    """Put an owner's request to remove their photo's sensitive mark in the queue (the mark stays meanwhile).

    It joins the photo's open case (reports about it included) as the owner's own report, reason
    ``unmark``, so staff see it in the queue like any report, and the owner is told the outcome.
    Asking twice while it waits changes nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        case = _open_case("photo", photo)
        report, created = Report.objects.get_or_create(
            case=case, reporter_id=photo.owner_id, defaults={"reason": Report.Reason.UNMARK, "text": text.strip()}
        )
        if created:
            ModerationCase.objects.filter(pk=case.pk).update(report_count=F("report_count") + 1, last_reported_at=now)
    return report


def _open_case(field: str, target) -> ModerationCase:
    """Return the target's open case, opening one; the partial unique constraint settles races."""
    case = ModerationCase.objects.select_for_update().filter(status=ModerationCase.Status.OPEN, **{field: target})
    case = case.first()
    if case is not None:
        return case
    with transaction.atomic():  # a savepoint: losing the race must not spoil the outer transaction
        try:
            return ModerationCase.objects.create(**{field: target})
        except IntegrityError:
            pass
    return ModerationCase.objects.select_for_update().get(status=ModerationCase.Status.OPEN, **{field: target})


def _reason_check(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why: the reason is logged (and quoted in a warning)."]})
    if len(reason) > MODERATION_REASON_MAX_LENGTH:
        raise ValidationError({"reason": [f"Keep the reason under {MODERATION_REASON_MAX_LENGTH} characters."]})
    return reason


def _outcome_message(kind: str, action: str, reason: str = "") -> str:
    if reason == Report.Reason.UNMARK:
        if action == Action.UNMARK:
            return "A moderator reviewed your photo and removed its sensitive mark: it is shown sharp again."
        return (
            "A moderator reviewed your photo and kept its sensitive mark: it stays blurred for people "
            "who have not chosen to see sensitive content."
        )
    noun = NOUNS[kind]
    if action == Action.DISMISS:
        return f"We reviewed the {noun} you reported and found it does not break our rules. Thank you for telling us."
    return f"We reviewed the {noun} you reported and took action. Thank you for telling us."


def case_resolve(*, case: ModerationCase, moderator: User, action: str, reason: str) -> ModerationAction:
    """Do ``action`` about an open case's target, close the case, log it and tell the reporters.

    hide: the photo or comment is shown to nobody but its owner (and staff); delete: it is deleted
    with its files; warn: its owner gets a notice quoting ``reason``; suspend: the person behind it
    can no longer sign in, their API tokens are revoked and all their content is hidden; dismiss:
    nothing is done; unmark: the photo's sensitive mark is removed (an owner's request granted; any
    other action keeps it). Raise ValidationError for a closed case, an action that does not apply to
    the target, or a missing reason.
    """
    reason = _reason_check(reason)
    with transaction.atomic():
        case = ModerationCase.objects.select_for_update().get(pk=case.pk)
        if case.status != ModerationCase.Status.OPEN:
            raise ValidationError({"case": ["This case is already closed."]})
        kind, target = case.target_kind, case.target
        if action not in ACTIONS[kind]:
            raise ValidationError({"action": [f"A {NOUNS[kind]} cannot be given '{action}'."]})
        subject = target_owner(target)
        logged = ModerationAction.objects.create(
            case=case,
            moderator=moderator,
            subject=subject,
            kind=action,
            target_kind=kind,
            target_id=case.target_id,
            reason=reason,
        )
        reports = list(case.reports.values_list("reporter_id", "reason"))
        case.status = ModerationCase.Status.DISMISSED if action == Action.DISMISS else ModerationCase.Status.ACTIONED
        case.resolved_at = timezone.now()
        case.save(update_fields=["status", "resolved_at"])
        for reporter_id, reported_why in reports:
            notice_create_on_commit(recipient_id=reporter_id, message=_outcome_message(kind, action, reported_why))
        _apply(action=action, kind=kind, target=target, subject=subject, reason=reason)
        if kind == "photo" and action != Action.DELETE:
            from photos.sensitive.services import photo_review_settle

            photo_review_settle(photo=target, unmarked=action == Action.UNMARK)
    return logged


def _apply(*, action: str, kind: str, target, subject: User, reason: str) -> None:
    if action == Action.HIDE and kind == "photo":
        social.photos_hide(photo_ids=[target.pk])
    elif action == Action.HIDE:
        comments_hide(comment_ids=[target.pk])
    elif action == Action.DELETE and kind == "photo":
        social.photo_delete(photo=target)
    elif action == Action.DELETE:
        social.comment_delete(comment=target)
    elif action == Action.WARN:
        what = "your account" if kind == "account" else f"your {NOUNS[kind]}"
        notice_create_on_commit(recipient_id=subject.pk, message=f"A moderator warned you about {what}: {reason}")
    elif action == Action.SUSPEND:
        user_suspend(user=subject)
    elif action == Action.UNMARK:
        from photos.sensitive.services import photo_sensitive_set

        photo_sensitive_set(photo=target, sensitive=False)


def comments_hide(*, comment_ids: list[int], hidden: bool = True) -> int:
    """Hide comments from everyone but their authors (or show them again); return how many changed."""
    return Comment.objects.filter(pk__in=comment_ids).exclude(is_hidden=hidden).update(is_hidden=hidden)


def user_suspend(*, user: User, suspended: bool = True) -> None:
    """Suspend an account (or lift it): no sign-in, no API token, content hidden from everyone else.

    Suspension is the account being inactive: Django refuses inactive people at sign-in and drops
    their sessions, knox refuses their tokens (revoked here besides), and every list of photos,
    comments, people and notifications leaves inactive accounts out.
    """
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=not suspended)
        if suspended:
            AuthToken.objects.filter(user=user).delete()
    user.is_active = not suspended


def user_moderate(*, user: User, moderator: User, action: str, reason: str) -> ModerationAction:
    """Suspend or reinstate an account without a report (staff acting on their own), logged."""
    if action not in (Action.SUSPEND, Action.UNSUSPEND):
        raise ValidationError({"action": [f"An account cannot be given '{action}' here."]})
    reason = _reason_check(reason)
    with transaction.atomic():
        user_suspend(user=user, suspended=action == Action.SUSPEND)
        return ModerationAction.objects.create(
            moderator=moderator, subject=user, kind=action, target_kind="account", target_id=user.pk, reason=reason
        )
