"""API of learned tags (owner only): create from examples, poll training, see the figures, switch on, delete."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from photos import selectors as photo_selectors
from photos.learned import selectors, services
from photos.learned.models import LearnedTag


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    label = serializers.CharField(help_text="As stamped on the tags it gave (model_version).")
    precision = serializers.FloatField(help_text="Cross-validated, at the threshold.")
    recall = serializers.FloatField(help_text="Cross-validated, at the threshold.")
    threshold = serializers.FloatField()
    target_met = serializers.BooleanField(help_text="Whether precision >= 0.9 could be had on validation.")
    positives = serializers.IntegerField()
    negatives = serializers.IntegerField()
    folds = serializers.IntegerField()
    train_seconds = serializers.FloatField()
    would_tag_count = serializers.IntegerField()
    unsure_count = serializers.IntegerField()
    trained_at = serializers.DateTimeField()


class PhotoBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()

    def get_url(self, photo) -> str:
        return self.context["request"].build_absolute_uri(photo.get_absolute_url())

    def get_thumbnail(self, photo) -> str | None:
        return self.context["request"].build_absolute_uri(photo.thumbnail.url) if photo.thumbnail else None


class LearnedTagSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    state = serializers.ChoiceField(choices=LearnedTag.State.values)
    state_reason = serializers.CharField()
    progress = serializers.FloatField(help_text="Share of the training done, 0 to 1.")
    active = serializers.BooleanField(source="is_active")
    version = VersionSerializer(source="current", allow_null=True)
    created_at = serializers.DateTimeField()


class LearnedTagDetailSerializer(LearnedTagSerializer):
    would_tag = PhotoBriefSerializer(many=True, help_text="Your photos it would tag (not the examples), best first.")
    unsure = PhotoBriefSerializer(many=True, help_text="Your photos scoring just under its threshold.")


class PhotoIdsField(serializers.ListField):
    """A list of photo ids; one message for the whole list when an item is not a whole number."""

    child = serializers.IntegerField()

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):  # per-item errors: {"0": [...]}
                raise serializers.ValidationError("Examples are photo ids (whole numbers).") from error
            raise


def _detail(request, learned: LearnedTag) -> dict:
    learned.would_tag, learned.unsure = selectors.learned_tag_preview(learned).values()
    return LearnedTagDetailSerializer(learned, context={"request": request}).data


class LearnedTagsApi(APIView):
    """Your learned tags; POST creates one from at least 5 of your analysed photos and starts its training."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=64, help_text="The tag, e.g. latte art.")
        examples = PhotoIdsField(help_text="Ids of your photos: 5 or more.")

    @extend_schema(
        operation_id="v1_learned_tags_list",
        responses={200: inline_serializer("LearnedTagList", {"results": LearnedTagSerializer(many=True)})},
    )
    def get(self, request):
        tags = selectors.learned_tags_of(request.user)
        return Response({"results": LearnedTagSerializer(tags, many=True).data})

    @extend_schema(request=InputSerializer, responses={201: LearnedTagSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        learned = services.learned_tag_create(
            owner=request.user, name=data.validated_data["name"], photo_ids=data.validated_data["examples"]
        )
        return Response(LearnedTagSerializer(learned).data, status=status.HTTP_201_CREATED)


class LearnedTagApi(APIView):
    """One of your learned tags: poll ``state`` and ``progress``; the figures and previews once trained."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: LearnedTagDetailSerializer})
    def get(self, request, learned_tag_id: int):
        return Response(_detail(request, selectors.learned_tag_get(user=request.user, learned_tag_id=learned_tag_id)))

    @extend_schema(responses={204: None})
    def delete(self, request, learned_tag_id: int):
        learned = selectors.learned_tag_get(user=request.user, learned_tag_id=learned_tag_id)
        services.learned_tag_delete(actor=request.user, learned_tag=learned)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LearnedTagActiveApi(APIView):
    """Switch a trained learned tag on (POST: the worker tags your photos) or off (DELETE: its tags come off)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: LearnedTagSerializer})
    def post(self, request, learned_tag_id: int):
        learned = selectors.learned_tag_get(user=request.user, learned_tag_id=learned_tag_id)
        learned = services.learned_tag_activate(actor=request.user, learned_tag=learned, active=True)
        return Response(LearnedTagSerializer(learned).data)

    @extend_schema(request=None, responses={200: LearnedTagSerializer})
    def delete(self, request, learned_tag_id: int):
        learned = selectors.learned_tag_get(user=request.user, learned_tag_id=learned_tag_id)
        learned = services.learned_tag_activate(actor=request.user, learned_tag=learned, active=False)
        return Response(LearnedTagSerializer(learned).data)


class LearnedTagExamplesApi(APIView):
    """Add one of your photos as an example (``positive`` true) or a counter-example; it retrains shortly."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        photo = serializers.IntegerField(help_text="Id of one of your photos.")
        positive = serializers.BooleanField(default=True)

    @extend_schema(
        request=InputSerializer,
        responses={201: inline_serializer("LearnedExample", {"added": serializers.BooleanField()})},
    )
    def post(self, request, learned_tag_id: int):
        learned = selectors.learned_tag_get(user=request.user, learned_tag_id=learned_tag_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        photo = photo_selectors.photo_get(viewer=request.user, photo_id=data.validated_data["photo"])
        created = services.learned_tag_example_add(
            actor=request.user, learned_tag=learned, photo=photo, positive=data.validated_data["positive"]
        )
        return Response({"added": created}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
