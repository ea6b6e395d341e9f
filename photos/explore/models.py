"""Explore's item model: co-viewed neighbours and popularity pools, rebuilt by ``photos.explore.item_model``.

Imported by photos.models, so the tables stay in the photos app.
"""

from django.db import models


class PhotoNeighbor(models.Model):
    """A photo that people who interacted with ``photo`` also interacted with: Explore's item model.

    Rebuilt wholesale by ``photos.explore.item_model``; a pair is kept only when several different people
    interacted with both photos, so a neighbour never tells what one person looked at.
    """

    pk = models.CompositePrimaryKey("photo_id", "neighbor_id")
    # The primary key (photo_id, neighbor_id) already indexes photo_id, which Explore reads by.
    # No database constraints: checking a million fresh rows at every rebuild doubled its time, and
    # the rows are derived, replaced every rebuild, deleted with their photos by Django (CASCADE),
    # and only ever read through photos_visible_to.
    photo = models.ForeignKey(
        "photos.Photo", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    neighbor = models.ForeignKey("photos.Photo", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    score = models.FloatField(help_text="Cosine similarity of the two photos' time-decayed audiences.")
    people = models.PositiveIntegerField(help_text="How many people interacted with both photos.")

    def __str__(self) -> str:
        return f"photo {self.photo_id} ~ photo {self.neighbor_id} ({self.score:.3f})"


class PopularPhoto(models.Model):
    """A photo in a popularity pool: among photos with ``tag``, or in ``category``, else site-wide."""

    photo = models.ForeignKey("photos.Photo", on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey("photos.Tag", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    category = models.CharField(max_length=64, blank=True, db_index=True)
    score = models.FloatField(help_text="Views, likes and comments, weighted and decayed with a one-week half-life.")
    week_views = models.PositiveIntegerField(help_text="Views in the seven days before the item model was built.")

    def __str__(self) -> str:
        pool = self.tag_id or self.category or "the site"
        return f"photo {self.photo_id} popular in {pool} ({self.score:.3g})"
