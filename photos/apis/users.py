"""API for accounts: registration, tokens, profiles and follows."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from photos import selectors, services
from photos.apis.serializers import PhotoSerializer, ProfileSerializer, UserSummarySerializer
from photos.models import Photo, User
from photos.throttles import LoginThrottle, RegisterThrottle


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [RegisterThrottle]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(write_only=True, style={"input_type": "password"})
        email = serializers.EmailField(required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        token = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        token, _ = Token.objects.get_or_create(user=user)
        body = {"id": user.pk, "username": user.username, "token": token.key}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


def _profile(request, username: str) -> dict:
    user = selectors.user_get(viewer=request.user, username=username)
    user.follow_status = selectors.follow_status(viewer=request.user, owner=user)
    return ProfileSerializer(user, context={"request": request}).data


class UserDetailApi(APIView):
    @extend_schema(responses=ProfileSerializer)
    def get(self, request, username: str):
        return Response(_profile(request, username))


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        display_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
        bio = serializers.CharField(max_length=500, required=False, allow_blank=True)
        is_private = serializers.BooleanField(required=False)
        avatar = serializers.FileField(required=False)

    @extend_schema(responses=ProfileSerializer)
    def get(self, request):
        return Response(_profile(request, request.user.username))

    @extend_schema(request=InputSerializer, responses=ProfileSerializer)
    def patch(self, request):
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.user_update(user=request.user, **data.validated_data)
        return Response(_profile(request, request.user.username))


class FollowApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["accepted", "pending"])

    @extend_schema(request=None, responses={201: OutputSerializer, 202: OutputSerializer})
    def post(self, request, username: str):
        followee = selectors.user_get(viewer=request.user, username=username)
        follow = services.follow_create(follower=request.user, followee=followee)
        code = status.HTTP_201_CREATED if follow.status == "accepted" else status.HTTP_202_ACCEPTED
        return Response({"status": follow.status}, status=code)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, username: str):
        followee = selectors.user_reachable_get(viewer=request.user, username=username)
        services.follow_delete(follower=request.user, followee=followee)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _ConnectionsApi(ListAPIView):
    serializer_class = UserSummarySerializer
    side = ""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL arguments
            return User.objects.none()
        owner = selectors.user_get(viewer=self.request.user, username=self.kwargs["username"])
        if not selectors.connections_visible(viewer=self.request.user, owner=owner):
            raise PermissionDenied("This account is private.")
        if self.side == "followers":
            return selectors.followers_of(owner, viewer=self.request.user)
        return selectors.following_of(owner, viewer=self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        people = [getattr(follow, "follower" if self.side == "followers" else "followee") for follow in page]
        return self.get_paginated_response(self.get_serializer(people, many=True).data)


class FollowersApi(_ConnectionsApi):
    side = "followers"


class FollowingApi(_ConnectionsApi):
    side = "following"


class UserPhotosApi(ListAPIView):
    serializer_class = PhotoSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL arguments
            return Photo.objects.none()
        owner = selectors.user_get(viewer=self.request.user, username=self.kwargs["username"])
        return selectors.user_photos(viewer=self.request.user, owner=owner)


@extend_schema(
    request=inline_serializer(
        "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
    ),
    responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
)
class TokenApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    def post(self, request):
        data = AuthTokenSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=data.validated_data["user"])
        return Response({"token": token.key})
