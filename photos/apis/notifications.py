"""API for notifications (grouped per kind and photo), marking them read, and @mention suggestions."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from photos.apis.serializers import UserSummarySerializer
from photos.cursors import cursor_decode, cursor_encode, row_id
from photos.limits import MAX_PAGE_SIZE, MENTION_SUGGESTIONS, NOTIFICATION_PAGE_SIZE
from photos.models import Notification
from photos.notifications import selectors, services


class NotificationGroupSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Notification.Kind.choices)
    text = serializers.CharField(help_text='The line as shown, e.g. "ann and 3 others liked your photo".')
    actor = UserSummarySerializer(allow_null=True, help_text="Who acted last; null for a notice from the site.")
    others = serializers.IntegerField(help_text="How many other people did the same.")
    photo = serializers.IntegerField(source="photo.pk", allow_null=True, default=None, help_text="The photo, if any.")
    comment = serializers.CharField(source="comment.text", allow_null=True, default=None)
    unread = serializers.BooleanField()
    latest_id = serializers.IntegerField(help_text="Pass to notifications/read/ as up_to_id.")
    latest_at = serializers.DateTimeField()


class NotificationsApi(APIView):
    """Your notifications grouped per kind and photo, latest first; cursor paged."""

    permission_classes = [IsAuthenticated]

    class QuerySerializer(serializers.Serializer):
        cursor = serializers.CharField(required=False, help_text="The `next` link's cursor.")
        page_size = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=NOTIFICATION_PAGE_SIZE
        )

    @extend_schema(
        parameters=[QuerySerializer],
        responses=inline_serializer(
            "NotificationPage",
            {"results": NotificationGroupSerializer(many=True), "next": serializers.URLField(allow_null=True)},
        ),
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        before_id, size = None, query.validated_data["page_size"]
        if "cursor" in query.validated_data:
            (before_id,) = cursor_decode(query.validated_data["cursor"], row_id)  # InvalidCursor is a 400
        groups, next_before = selectors.notification_groups(request.user, before_id=before_id, size=size)
        next_url = None
        if next_before is not None:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", cursor_encode([next_before]))
        data = NotificationGroupSerializer(groups, many=True, context={"request": request}).data
        return Response({"results": data, "next": next_url})


class NotificationsReadApi(APIView):
    """Mark your notifications read: all of them, or those up to ``up_to_id``."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        up_to_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    @extend_schema(
        request=InputSerializer,
        responses=inline_serializer(
            "NotificationsRead", {"marked": serializers.IntegerField(), "unread": serializers.IntegerField()}
        ),
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.notifications_mark_read(user=request.user, **data.validated_data)
        return Response({"marked": marked, "unread": selectors.unread_notification_count(request.user)})


class MentionSuggestionsApi(APIView):
    """Names starting with ``q`` (any case), for completing an @mention as it is typed."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="The name typed so far, without the @.")],
        responses=UserSummarySerializer(many=True),
    )
    def get(self, request):
        prefix = request.query_params.get("q", "").strip().lstrip("@")[:150]
        if not prefix:
            return Response([])
        people = selectors.mention_candidates(viewer=request.user, prefix=prefix, limit=MENTION_SUGGESTIONS)
        return Response(UserSummarySerializer(people, many=True, context={"request": request}).data)
