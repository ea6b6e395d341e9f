"""Output serializers shared by the API classes (inputs live beside each API class)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from photos.apis.cards import photo_card
from photos.models import Comment, Follow, Photo, PhotoTag, User


class UserSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name", "avatar"]


class PersonSerializer(UserSummarySerializer):
    """A person in a list of people: who they are, how followed, and whether you follow them."""

    follower_count = serializers.IntegerField(read_only=True)
    follow_status = serializers.ChoiceField(choices=Follow.Status.values, allow_null=True, read_only=True)

    class Meta(UserSummarySerializer.Meta):
        fields = [*UserSummarySerializer.Meta.fields, "follower_count", "follow_status"]


class ProfileSerializer(serializers.ModelSerializer):
    follower_count = serializers.IntegerField(read_only=True)
    following_count = serializers.IntegerField(read_only=True)
    photo_count = serializers.IntegerField(read_only=True)
    follow_status = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "bio",
            "avatar",
            "is_private",
            "follower_count",
            "following_count",
            "photo_count",
            "follow_status",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=Follow.Status.values, allow_null=True))
    def get_follow_status(self, user: User) -> str | None:
        return getattr(user, "follow_status", None)


class MeSerializer(ProfileSerializer):
    """Your own profile, with the preferences only you see."""

    show_sensitive = serializers.BooleanField(
        read_only=True, help_text="Always show photos marked sensitive sharp (else blurred, with a Show control)."
    )

    class Meta(ProfileSerializer.Meta):
        fields = [*ProfileSerializer.Meta.fields, "show_sensitive"]


class TagClassSerializer(serializers.Serializer):
    name = serializers.CharField()
    score = serializers.FloatField()


class PhotoTagSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="tag.name")
    categories = serializers.ListField(source="tag.categories", child=serializers.CharField())
    classes = TagClassSerializer(many=True)
    rule = serializers.CharField(
        read_only=True,
        help_text="Why: the taxonomy rule of a CNN tag; for a learned tag, in words "
        "(learned from your 8 examples; score 0.87; precision 0.93 in validation).",
    )

    class Meta:
        model = PhotoTag
        fields = [
            "name",
            "categories",
            "confidence",
            "source",
            "classes",
            "rule",
            "model_version",
            "taxonomy_version",
            "explanation",
        ]


class PhotoSerializer(serializers.ModelSerializer):
    owner = UserSummarySerializer(read_only=True)
    liked = serializers.BooleanField(read_only=True)
    tags = PhotoTagSerializer(source="photo_tags", many=True, read_only=True)
    comment_count = serializers.SerializerMethodField(help_text="The comments you are shown (see the comments list).")
    sensitive = serializers.BooleanField(source="is_sensitive", read_only=True, help_text="Marked by its owner.")

    class Meta:
        model = Photo
        fields = [
            "id",
            "owner",
            "caption",
            "alt_text",
            "alt_text_source",
            "visibility",
            "image",
            "thumbnail",
            "width",
            "height",
            "created_at",
            "status",
            "status_reason",
            "like_count",
            "comment_count",
            "liked",
            "tags",
            "sensitive",
            "blurred_thumbnail",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "status": {
                "help_text": "processing: uploaded, not yet decoded and tagged by the worker (only its owner sees "
                "it); tagged: copies made and tags stored; failed: see status_reason (the owner may retry)."
            },
            "alt_text": {"help_text": "What a screen reader says for the image; may be empty."},
            "alt_text_source": {
                "help_text": "auto: drafted by the worker from the CNN's tags, not yet checked by the owner; "
                "owner: written or accepted by the owner; empty: none yet."
            },
            "status_reason": {"help_text": "Why processing failed, written for the photo's owner."},
            "image": {"help_text": "The display copy (no metadata); null while the photo is processing."},
            "thumbnail": {"help_text": "The 320 px square thumbnail; null while the photo is processing."},
            "blurred_thumbnail": {
                "help_text": "For a sensitive photo: the thumbnail blurred on the server, to show until asked."
            },
            "width": {"help_text": "Of the display copy; 0 while the photo is processing."},
        }

    def get_comment_count(self, photo: Photo) -> int:
        # Photos read through selectors.photo_list know what this viewer is shown; a photo just
        # created has no comments anyone could be hidden from.
        return getattr(photo, "visible_comment_count", photo.comment_count)

    def to_representation(self, photo: Photo) -> dict:
        # The fields above are the contract (and the schema); photo_card writes them without
        # DRF's per-field machinery, the same dict (tests/photos/apis/test_cards.py).
        return photo_card(photo, self.context.get("request"))


class PhotoFacesSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text="How many faces the worker found (detection only: nobody is identified)."
    )
    boxes = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=4, max_length=4),
        help_text="[left, top, right, bottom] of each face, relative to the image (0..1), best first.",
    )
    blur = serializers.BooleanField(help_text="The owner chose to blur the faces in the served copies.")
    blurred = serializers.SerializerMethodField(help_text="The served copies have their faces blurred now.")

    def get_blurred(self, found) -> bool:
        return bool(found.unblurred_image)


class NudityDetectionSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="NudeNet's class, e.g. FACE_FEMALE, BELLY_EXPOSED.")
    score = serializers.FloatField()
    box = serializers.ListField(child=serializers.FloatField(), min_length=4, max_length=4)
    skin = serializers.FloatField(allow_null=True, help_text="Share of skin-coloured pixels in the box.")


class PhotoNuditySerializer(serializers.Serializer):
    score = serializers.FloatField(
        help_text="The highest score of an exposed intimate part whose box shows skin (0 if none): what marks."
    )
    marked = serializers.BooleanField(help_text="The detector marked the photo sensitive.")
    review = serializers.ChoiceField(
        choices=["", "pending", "unmarked", "kept"], help_text="An unmark request: pending, or a moderator's decision."
    )
    detections = NudityDetectionSerializer(many=True)
    model = serializers.CharField()


class PhotoDetailSerializer(PhotoSerializer):
    """One photo, with what only its owner is shown."""

    faces = serializers.SerializerMethodField(
        help_text="Owner only (null for others, and until the worker has looked): the faces found on the photo."
    )
    nudity = serializers.SerializerMethodField(
        help_text="Owner only (null for others, and until the worker has looked): why it is, or is not, "
        "marked sensitive by the nudity detector."
    )

    class Meta(PhotoSerializer.Meta):
        fields = [*PhotoSerializer.Meta.fields, "faces", "nudity"]
        read_only_fields = fields

    def to_representation(self, photo: Photo) -> dict:
        # PhotoSerializer writes the card from the row (photo_card); the owner's part follows it.
        from photos.processing.selectors import photo_findings_for

        found = photo_findings_for(photo=photo, viewer=self.context["request"].user)
        return super().to_representation(photo) | {
            "faces": None if found.faces is None else PhotoFacesSerializer(found.faces).data,
            "nudity": None if found.nudity is None else PhotoNuditySerializer(found.nudity).data,
        }

    # The schema of the owner's part (to_representation writes it, with one query for both).
    @extend_schema_field(PhotoNuditySerializer(allow_null=True))
    def get_nudity(self, photo: Photo) -> dict | None:
        raise NotImplementedError  # pragma: no cover - to_representation writes it

    @extend_schema_field(PhotoFacesSerializer(allow_null=True))
    def get_faces(self, photo: Photo) -> dict | None:
        raise NotImplementedError  # pragma: no cover - to_representation writes it


class CommentSerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "text", "created_at"]
