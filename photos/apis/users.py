"""API for accounts: registration, tokens, profiles and follows."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from photos import api_tokens, selectors, services
from photos.apis.serializers import (
    MeSerializer,
    PersonSerializer,
    PhotoSerializer,
    ProfileSerializer,
    UserSummarySerializer,
)
from photos.imaging import UploadRejected
from photos.limits import BIO_MAX_LENGTH, DISPLAY_NAME_MAX_LENGTH, MAX_PAGE_SIZE, PAGE_SIZE
from photos.models import Follow, Photo, User
from photos.people import selectors as people
from photos.people import services as account_services
from photos.people.services import account_delete
from photos.sensitive.services import sensitive_preference_set
from photos.throttles import FollowThrottle, LoginThrottle, RegisterThrottle, UploadThrottle


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
        token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`. Shown only now.")
        expiry = serializers.DateTimeField(allow_null=True, help_text="When the token stops working.")

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = account_services.user_create(**data.validated_data)
        issued = api_tokens.api_token_create(user=user)
        body = {"id": user.pk, "username": user.username, "token": issued.key, "expiry": issued.token.expiry}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


def _profile(request, username: str, serializer=ProfileSerializer) -> dict:
    user = selectors.user_get(viewer=request.user, username=username)
    user.follow_status = selectors.follow_status(viewer=request.user, owner=user)
    return serializer(user, context={"request": request}).data


def _me(request) -> dict:
    return _profile(request, request.user.username, serializer=MeSerializer)


class UserDetailApi(APIView):
    @extend_schema(responses=ProfileSerializer)
    def get(self, request, username: str):
        return Response(_profile(request, username))


class MeApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [UploadThrottle]  # a PATCH may carry an avatar: it counts as an upload

    class InputSerializer(serializers.Serializer):
        display_name = serializers.CharField(max_length=DISPLAY_NAME_MAX_LENGTH, required=False, allow_blank=True)
        bio = serializers.CharField(max_length=BIO_MAX_LENGTH, required=False, allow_blank=True)
        is_private = serializers.BooleanField(required=False)
        avatar = serializers.FileField(required=False)
        show_sensitive = serializers.BooleanField(required=False)

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(_me(request))

    @extend_schema(request=InputSerializer, responses=MeSerializer)
    def patch(self, request):
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        show_sensitive = fields.pop("show_sensitive", None)
        try:
            account_services.user_update(user=request.user, **fields)
        except UploadRejected as error:
            return Response({"avatar": [error.message]}, status=error.status)
        if show_sensitive is not None:
            sensitive_preference_set(user=request.user, show=show_sensitive)
        return Response(_me(request))

    class DeleteSerializer(serializers.Serializer):
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    @extend_schema(
        request=DeleteSerializer,
        responses={204: None},
        description="Delete your account for good, with every photo and file; your password confirms it.",
    )
    def delete(self, request):
        data = self.DeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account_delete(user=request.user, password=data.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_throttles(self):
        # A deletion carries a password: guesses count against the sign-in limit, not the upload one.
        if self.request.method == "DELETE":
            return [LoginThrottle()]
        return super().get_throttles()


class UserSearchApi(APIView):
    """People whose username or display name starts with ``q``, in any case; the best matches only."""

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
        page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE)

    class OutputSerializer(serializers.Serializer):
        results = PersonSerializer(many=True)
        next = serializers.URLField(allow_null=True, help_text="Always null: refine the query for others.")

    @extend_schema(operation_id="v1_users_search", parameters=[InputSerializer], responses=OutputSerializer)
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        found = people.people_search(request.user, data.validated_data["q"], size=data.validated_data["page_size"])
        results = PersonSerializer(found, many=True, context={"request": request}).data
        return Response({"results": results, "next": None})


class FollowApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [FollowThrottle]

    class OutputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Follow.Status.values)

    @extend_schema(request=None, responses={201: OutputSerializer, 202: OutputSerializer})
    def post(self, request, username: str):
        followee = selectors.user_get(viewer=request.user, username=username)
        follow = services.follow_create(follower=request.user, followee=followee)
        code = status.HTTP_201_CREATED if follow.status == Follow.Status.ACCEPTED else status.HTTP_202_ACCEPTED
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


class TokenApi(APIView):
    """Sign in with a username and password: each sign-in issues a new token, which expires."""

    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField()
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`. Shown only now.")
        expiry = serializers.DateTimeField(allow_null=True, help_text="When the token stops working.")

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request=request, **data.validated_data)
        if user is None:  # wrong password, no such account or a disabled one: told apart for nobody
            raise ValidationError({"non_field_errors": ["Unable to log in with provided credentials."]})
        issued = api_tokens.api_token_create(user=user)
        return Response(self.OutputSerializer({"token": issued.key, "expiry": issued.token.expiry}).data)


class LogoutApi(APIView):
    """Revoke the token this request carries; the account's other tokens keep working."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, AuthToken):
            api_tokens.api_token_delete(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField(help_text="What to revoke the token by.")
    prefix = serializers.SerializerMethodField(help_text="The token's first characters, to recognise it by.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    current = serializers.SerializerMethodField(help_text="Whether this request carries this token.")

    def get_id(self, token: AuthToken) -> str:
        return api_tokens.api_token_id(token)

    def get_prefix(self, token: AuthToken) -> str:
        return token.token_key[: api_tokens.TOKEN_PREFIX_LENGTH]

    def get_current(self, token: AuthToken) -> bool:
        return token.pk == getattr(self.context["request"].auth, "pk", None)


class TokensApi(ListAPIView):
    """Your tokens still in force, newest first (never their secrets)."""

    permission_classes = [IsAuthenticated]
    serializer_class = TokenSerializer
    pagination_class = None  # a handful per account, each expiring

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no signed-in user
            return AuthToken.objects.none()
        return api_tokens.api_tokens_of(self.request.user)


class TokenRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, description="Revoke one of your tokens.")
    def delete(self, request, token_id: str):
        token = api_tokens.api_token_get(user=request.user, token_id=token_id)
        api_tokens.api_token_delete(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
