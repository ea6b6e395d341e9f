"""Reads of the owner's tag corrections: what the CNN may no longer write, and how each rule fares."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q

from photos.corrections.models import TagCorrection
from photos.models import Photo, PhotoTag, User


def corrected_tag_names(photo_ids: Iterable[int]) -> dict[int, set[str]]:
    """Return, per photo, the names of the tags its owner has ruled on (confirmed, removed or added).

    The CNN writes none of these again: a removed tag stays removed, and a confirmed or added one
    already stands as the owner's. One query.
    """
    names: dict[int, set[str]] = {}
    rows = TagCorrection.objects.filter(photo_id__in=list(photo_ids)).values_list("photo_id", "tag__name")
    for photo_id, name in rows:
        names.setdefault(photo_id, set()).add(name)
    return names


def removed_tag_names(photo_ids: Iterable[int]) -> dict[int, set[str]]:
    """Return, per photo, the names of the tags its owner removed (their tombstones). One query."""
    names: dict[int, set[str]] = {}
    rows = TagCorrection.objects.filter(photo_id__in=list(photo_ids), action=TagCorrection.Action.REMOVED)
    for photo_id, name in rows.values_list("photo_id", "tag__name"):
        names.setdefault(photo_id, set()).add(name)
    return names


def may_correct_tags(*, user: User, photo: Photo) -> bool:
    """Return whether ``user`` may correct the tags of ``photo`` (a photo they can see): its owner only."""
    return user.is_authenticated and photo.owner_id == user.pk


@dataclass(frozen=True)
class RuleStats:
    """How people received the tags one taxonomy rule made."""

    rule: str
    confirmed: int
    removed: int
    standing: int  # its CNN tags on photos now, confirmed or not

    @property
    def judged(self) -> int:
        return self.confirmed + self.removed

    @property
    def removed_share(self) -> float:
        """Return the share of the rule's tags that owners removed, of all it made that are known."""
        made = self.standing + self.removed
        return self.removed / made if made else 0.0


def rule_stats() -> list[RuleStats]:
    """Return every rule that owners confirmed or removed a tag of, worst (most removed) first. Two queries."""
    verdicts = (
        TagCorrection.objects.exclude(rule="")
        .values("rule")
        .annotate(
            confirmed=Count("pk", filter=Q(action=TagCorrection.Action.CONFIRMED)),
            removed=Count("pk", filter=Q(action=TagCorrection.Action.REMOVED)),
        )
        .filter(Q(confirmed__gt=0) | Q(removed__gt=0))
    )
    verdicts = {row["rule"]: row for row in verdicts}
    standing = dict(
        PhotoTag.objects.filter(rule__in=list(verdicts), source__in=[PhotoTag.Source.AUTO, PhotoTag.Source.CONFIRMED])
        .values("rule")
        .annotate(n=Count("pk"))
        .values_list("rule", "n")
    )
    stats = [
        RuleStats(rule=rule, confirmed=row["confirmed"], removed=row["removed"], standing=standing.get(rule, 0))
        for rule, row in verdicts.items()
    ]
    return sorted(stats, key=lambda s: (-s.removed_share, -s.removed, s.confirmed, s.rule))
