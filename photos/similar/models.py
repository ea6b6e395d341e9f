"""What the CNN says a photo looks like, and which photos are the same picture (imported by photos.models)."""

from django.db import models


class PhotoEmbedding(models.Model):
    """A photo's embedding (the source of truth the nearest-neighbour index is built from) and its perceptual hash."""

    photo = models.OneToOneField("photos.Photo", on_delete=models.CASCADE, primary_key=True, related_name="embedding")
    model_version = models.CharField(max_length=64, help_text="The model that computed it; another model re-embeds.")
    # 1280 float16, little-endian (2.5 KB): cosine against float32 differs by under 1e-3.
    vector = models.BinaryField()
    # 64-bit DCT hash (imagehash.phash) of the CNN's input crop, as a signed integer; finds re-encodes and resizes.
    phash = models.BigIntegerField(null=True, blank=True)
    # Read by the index build: embeddings newer than the build are searched exactly until the next one.
    embedded_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"embedding of photo {self.photo_id} ({self.model_version})"


class PhotoDuplicate(models.Model):
    """``photo`` is the same picture as its owner's earlier ``original`` (a re-encode, resize, crop or edit)."""

    class Kind(models.TextChoices):
        SAME = "same", "Same picture (perceptual hash)"
        EDITED = "edited", "Cropped or edited copy (embedding)"

    photo = models.ForeignKey("photos.Photo", on_delete=models.CASCADE, related_name="duplicate_of")
    original = models.ForeignKey("photos.Photo", on_delete=models.CASCADE, related_name="+")
    # The earliest photo of the group, so admin lists each group of copies together.
    cluster = models.ForeignKey("photos.Photo", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    hash_distance = models.PositiveSmallIntegerField(help_text="Differing bits of the two 64-bit perceptual hashes.")
    similarity = models.FloatField(help_text="Cosine similarity of the two embeddings.")
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-cluster_id", "photo_id"]
        constraints = [models.UniqueConstraint(fields=["photo", "original"], name="duplicate_pair_once")]

    def __str__(self) -> str:
        return f"photo {self.photo_id} duplicates photo {self.original_id} ({self.kind}, {self.similarity:.3f})"
