"""API for privacy: answering follow requests to a private account, and blocking people."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from photos import selectors, services
from photos.apis.serializers import UserSummarySerializer
from photos.models import Block, Follow


class FollowRequestSerializer(serializers.Serializer):
    user = UserSummarySerializer(source="follower", help_text="Who asks to follow you.")
    created_at = serializers.DateTimeField(help_text="When they asked.")


class BlockSerializer(serializers.Serializer):
    user = UserSummarySerializer(source="blocked", help_text="Who you block.")
    created_at = serializers.DateTimeField(help_text="When you blocked them.")


class FollowRequestsApi(ListAPIView):
    """The people waiting for you to approve their follow request, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = FollowRequestSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no signed-in user
            return Follow.objects.none()
        return selectors.follow_requests_for(self.request.user)


class FollowRequestApproveApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        user = UserSummarySerializer()
        status = serializers.ChoiceField(choices=Follow.Status.values)

    @extend_schema(
        request=None,
        responses={200: OutputSerializer},
        description="Approve a pending follow request: the person starts seeing your followers-only photos "
        "(and, on a private account, all of them). 404 when that person has no pending request.",
    )
    def post(self, request, username: str):
        follow = selectors.follow_request_get(owner=request.user, username=username)
        follow = services.follow_request_approve(owner=request.user, follower=follow.follower)
        return Response(self.OutputSerializer({"user": follow.follower, "status": follow.status}).data)


class FollowRequestApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={204: None},
        description="Decline a pending follow request. 404 when that person has no pending request.",
    )
    def delete(self, request, username: str):
        follow = selectors.follow_request_get(owner=request.user, username=username)
        services.follow_request_decline(owner=request.user, follower=follow.follower)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlocksApi(ListAPIView):
    """The people you block, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = BlockSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no signed-in user
            return Block.objects.none()
        return selectors.blocks_of(self.request.user)


class BlockApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        blocked = serializers.BooleanField()

    @extend_schema(
        request=None,
        responses={201: OutputSerializer},
        description="Block someone: neither of you sees the other's profile, photos or comments any more, "
        "follows both ways end, and they cannot follow you, like or comment on your photos. "
        "404 for someone who blocks you, as for nobody.",
    )
    def post(self, request, username: str):
        # Not user_get: that hides people you block, and blocking again is harmless.
        blocked = selectors.user_reachable_get(viewer=request.user, username=username)
        services.block_create(blocker=request.user, blocked=blocked)
        return Response(self.OutputSerializer({"blocked": True}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, description="Unblock someone. Ended follows stay ended.")
    def delete(self, request, username: str):
        blocked = selectors.user_reachable_get(viewer=request.user, username=username)
        services.block_delete(blocker=request.user, blocked=blocked)
        return Response(status=status.HTTP_204_NO_CONTENT)
