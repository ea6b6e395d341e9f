"""API for Explore: recommendations with their reasons, and a person's own history (interests, pause, clear)."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from photos.apis.cards import photo_card
from photos.apis.serializers import PhotoSerializer
from photos.explore import services as explore_services
from photos.explore.history import interests_for
from photos.explore.selectors import Cursor, explore_for
from photos.limits import MAX_PAGE_SIZE, PAGE_SIZE
from photos.people import services as account_services


class ReasonSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["co_view", "tag", "category", "popular", "recent", "looks_like"],
        help_text="popular: at least 10 views this week; recent: picked from recent activity or new photos; "
        "looks_like: nobody has viewed it yet, and the CNN finds it alike to photos you viewed.",
    )
    text = serializers.CharField(help_text="The reason in words, e.g. “Because you viewed 3 photos tagged beach”.")
    photo_id = serializers.IntegerField(
        allow_null=True, help_text="co_view: the photo you viewed that people also viewed this one with."
    )
    tag = serializers.CharField(allow_null=True, help_text="tag: the tag this photo shares with your history.")
    count = serializers.IntegerField(
        allow_null=True,
        help_text="co_view: people who viewed both; popular: views this week; both null below 10 (a few), "
        "so that a small number never points at particular people. tag, category: photos of your recent "
        "history that have it.",
    )


# The API's names stay as published (the path is recommendations/); the code says Explore.
@extend_schema_serializer(component_name="Recommendation")
class ExploreItemSerializer(serializers.Serializer):
    photo = PhotoSerializer()
    score = serializers.FloatField(help_text="Higher is better; comparable only within one person's Explore.")
    reasons = ReasonSerializer(many=True)

    def to_representation(self, item) -> dict:
        # The fields above are the schema; this writes the same dict without DRF's per-field work.
        return {
            "photo": photo_card(item.photo, self.context.get("request")),
            "score": float(item.score),
            "reasons": [
                {"kind": r.kind, "text": r.text, "photo_id": r.photo_id, "tag": r.tag, "count": r.count}
                for r in item.reasons
            ],
        }


class ExploreApi(APIView):
    class InputSerializer(serializers.Serializer):
        cursor = serializers.CharField(required=False, help_text="The `next` link's cursor.")
        page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE)

        def validate_cursor(self, value: str) -> Cursor:
            return Cursor.decode(value)  # InvalidCursor: a 400 like every cursor (photos.apis.errors)

    @extend_schema(
        description="Photos you have not seen, best first, each with the reasons it is recommended. "
        "Anonymous visitors get the most active public photos. Never empty while a photo is visible to you.",
        parameters=[InputSerializer],
        responses=inline_serializer(
            "RecommendationPage",
            {"results": ExploreItemSerializer(many=True), "next": serializers.URLField(allow_null=True)},
        ),
    )
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        page = explore_for(
            request.user, after=data.validated_data.get("cursor"), size=data.validated_data["page_size"], tag_rows=True
        )
        next_url = None
        if page.next_cursor:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor.encode())
        results = ExploreItemSerializer(page.items, many=True, context={"request": request}).data
        return Response({"results": results, "next": next_url})


class InterestSerializer(serializers.Serializer):
    name = serializers.CharField()
    share = serializers.FloatField(help_text="Share of your recent history, recent photos weighing more (0..1).")
    photos = serializers.IntegerField(help_text="Photos of your recent history with it.")


class HistoryApi(APIView):
    """Your own history: what it says you like, and pausing or clearing it."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        paused = serializers.BooleanField(help_text="True stops recording the photos you view.")

    class OutputSerializer(serializers.Serializer):
        paused = serializers.BooleanField()
        photos = serializers.IntegerField(help_text="Photos in the recent history the interests come from.")
        tags = InterestSerializer(many=True)
        categories = InterestSerializer(many=True)

    def _state(self, request) -> Response:
        interests = interests_for(request.user)
        body = {
            "paused": request.user.history_paused,
            "photos": interests.photos,
            "tags": interests.tags,
            "categories": interests.categories,
        }
        return Response(self.OutputSerializer(body).data)

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        return self._state(request)

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account_services.user_update(user=request.user, history_paused=data.validated_data["paused"])
        return self._state(request)

    @extend_schema(request=None, responses={204: None}, description="Delete every view you made. Likes stay.")
    def delete(self, request):
        explore_services.view_history_clear(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
