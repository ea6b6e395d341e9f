"""API for photos: upload, detail, likes, comments and the feed."""

from django.conf import settings
from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from photos import selectors, services
from photos.apis.serializers import CommentSerializer, PhotoDetailSerializer, PhotoSerializer
from photos.explore import services as explore_services
from photos.feed_page import feed_api_page
from photos.imaging import ACCEPTED, UploadRejected
from photos.limits import ALT_TEXT_MAX_LENGTH, COMMENT_MAX_LENGTH, MAX_PAGE_SIZE, PAGE_SIZE
from photos.models import Comment, Photo
from photos.pagination import OldestFirstCursorPagination
from photos.processing.services import photo_processing_retry
from photos.sensitive import services as sensitive_services
from photos.tag_rows import tag_rows_load
from photos.throttles import CommentThrottle, ExplainThrottle, LikeThrottle, UploadThrottle

# Room for the caption, the visibility and the multipart framing around the image.
FORM_OVERHEAD_BYTES = 64 * 1024


def _refuse_oversized_body(request) -> None:
    """Refuse a body that declares itself over the cap before it is read and spooled to disk.

    The pipeline caps the image itself too; this spares the disk and the time of a huge body.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.PHOTO_MAX_BYTES + FORM_OVERHEAD_BYTES:
        limit = settings.PHOTO_MAX_BYTES
        size = f"{limit / 2**20:.3g} MB" if limit >= 2**20 else f"{limit:,} bytes"
        raise UploadRejected(f"The upload is larger than {size}. Upload a smaller image.", status=413, code="too_large")


def _photo_data(request, photo_id: int) -> dict:
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    return PhotoDetailSerializer(photo, context={"request": request}).data


class PhotoCreateApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [UploadThrottle]

    class InputSerializer(serializers.Serializer):
        image = serializers.FileField(
            help_text="JPEG, PNG, WebP or GIF (first frame); metadata is removed.",
            error_messages={"empty": f"The file is empty. {ACCEPTED}", "required": f"Attach an image. {ACCEPTED}"},
        )
        caption = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
        visibility = serializers.ChoiceField(choices=Photo.Visibility.choices, default=Photo.Visibility.PUBLIC)
        alt_text = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=ALT_TEXT_MAX_LENGTH,
            help_text="What is in the photo, for people who cannot see it. Empty: the worker drafts one.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: PhotoDetailSerializer},
        description="Check the upload from its bytes and headers (nothing is decoded here) and answer 201 with the "
        "photo, status processing. A worker then makes its copies and tags it: poll the photo until its status "
        "is tagged or failed. Only the owner sees it until then.",
    )
    def post(self, request):
        _refuse_oversized_body(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        photo = services.photo_create(owner=request.user, **data.validated_data)
        # Answered from the new row itself (no query): nobody has liked or commented on it yet.
        photo.liked = False
        return Response(PhotoDetailSerializer(photo, context={"request": request}).data, status=status.HTTP_201_CREATED)


class PhotoDetailApi(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        caption = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
        visibility = serializers.ChoiceField(choices=Photo.Visibility.choices, required=False)
        alt_text = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=ALT_TEXT_MAX_LENGTH,
            help_text="Becomes the owner's own (alt_text_source owner), even if the same as the draft; "
            "empty lets the worker draft one at the next tagging.",
        )
        sensitive = serializers.BooleanField(
            required=False,
            help_text="Mark or unmark as sensitive (blurred). Unmarking a photo the nudity detector was confident "
            "about asks a moderator instead: 202, the mark held meanwhile (nudity.review is pending).",
        )
        sensitive_note = serializers.CharField(
            required=False, allow_blank=True, max_length=500, help_text="For the moderator, with an unmark."
        )

    def _own_photo(self, request, photo_id: int) -> Photo:
        photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
        if photo.owner_id != request.user.pk:
            raise PermissionDenied("Only the owner can change or delete this photo.")
        return photo

    @extend_schema(responses=PhotoDetailSerializer)
    def get(self, request, photo_id: int):
        photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
        explore_services.photo_view_record(user=request.user, photo=photo)
        return Response(PhotoDetailSerializer(photo, context={"request": request}).data)

    @extend_schema(request=InputSerializer, responses={200: PhotoDetailSerializer, 202: PhotoDetailSerializer})
    def patch(self, request, photo_id: int):
        photo = self._own_photo(request, photo_id)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        sensitive, note = fields.pop("sensitive", None), fields.pop("sensitive_note", "")
        outcome = None
        with transaction.atomic():
            if fields:
                services.photo_update(photo=photo, **fields)
            if sensitive is not None:
                outcome = sensitive_services.photo_sensitive_owner_set(photo=photo, sensitive=sensitive, note=note)
        accepted = outcome == "review"  # the unmark waits for a moderator
        return Response(
            _photo_data(request, photo_id), status=status.HTTP_202_ACCEPTED if accepted else status.HTTP_200_OK
        )

    @extend_schema(responses={204: None})
    def delete(self, request, photo_id: int):
        services.photo_delete(photo=self._own_photo(request, photo_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhotoRetryApi(APIView):
    """Process a failed photo again (its owner only); it is ``processing`` until the worker is done."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [UploadThrottle]  # a retry costs the worker what an upload does

    @extend_schema(request=None, responses=PhotoDetailSerializer)
    def post(self, request, photo_id: int):
        photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
        if photo.owner_id != request.user.pk:
            raise PermissionDenied("Only the owner can retry this photo.")
        photo_processing_retry(photo=photo)
        return Response(_photo_data(request, photo_id), status=status.HTTP_202_ACCEPTED)


LikeOutput = inline_serializer(
    "LikeState", {"liked": serializers.BooleanField(), "like_count": serializers.IntegerField()}
)


class LikeApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [LikeThrottle]

    @staticmethod
    def _state(photo, *, liked: bool, code: int) -> Response:
        # The service changed the counter in the database: read back just that column.
        photo.refresh_from_db(fields=["like_count"])
        return Response({"liked": liked, "like_count": photo.like_count}, status=code)

    @extend_schema(request=None, responses={201: LikeOutput})
    def post(self, request, photo_id: int):
        photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
        services.like_create(user=request.user, photo=photo)
        return self._state(photo, liked=True, code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: LikeOutput})
    def delete(self, request, photo_id: int):
        photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
        services.like_delete(user=request.user, photo=photo)
        return self._state(photo, liked=False, code=status.HTTP_200_OK)


class ExplainApi(APIView):
    throttle_classes = [ExplainThrottle]

    class OutputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["ready", "queued"])

    @extend_schema(
        request=None,
        responses={200: OutputSerializer, 202: OutputSerializer},
        description="Draw Grad-CAM pictures of where the CNN found each auto tag; poll the photo for them.",
    )
    def post(self, request, photo_id: int):
        photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
        state = services.photo_explanation_request(photo=photo)
        return Response({"status": state}, status=status.HTTP_200_OK if state == "ready" else status.HTTP_202_ACCEPTED)


class CommentsApi(ListAPIView):
    serializer_class = CommentSerializer
    throttle_classes = [CommentThrottle]  # posting only: reads are not counted
    pagination_class = OldestFirstCursorPagination

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=COMMENT_MAX_LENGTH)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL arguments
            return Comment.objects.none()
        photo = selectors.photo_get(viewer=self.request.user, photo_id=self.kwargs["photo_id"])
        return selectors.photo_comments(photo, viewer=self.request.user)

    @extend_schema(request=InputSerializer, responses={201: CommentSerializer})
    def post(self, request, photo_id: int):
        if not request.user.is_authenticated:
            raise PermissionDenied("Log in to comment.")
        photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(author=request.user, photo=photo, **data.validated_data)
        return Response(CommentSerializer(comment, context={"request": request}).data, status=201)


class CommentDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, description="Delete a comment: its author or the photo owner.")
    def delete(self, request, photo_id: int, comment_id: int):
        comment = selectors.comment_get(viewer=request.user, photo_id=photo_id, comment_id=comment_id)
        if not selectors.comment_deletable(user=request.user, comment=comment):
            raise PermissionDenied("Only the comment's author or the photo's owner can delete it.")
        services.comment_delete(comment=comment)
        return Response(status=204)


class FeedPageInput(serializers.Serializer):
    cursor = serializers.CharField(required=False, help_text="The `next` link's cursor.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE)


class FeedApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[FeedPageInput],
        responses=inline_serializer(
            "FeedPage", {"results": PhotoSerializer(many=True), "next": serializers.URLField(allow_null=True)}
        ),
        description="Photos of the people you follow and your own, newest first.",
    )
    def get(self, request):
        data = FeedPageInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        photos, cursor = feed_api_page(
            request.user, cursor=data.validated_data.get("cursor"), size=data.validated_data["page_size"]
        )
        tag_rows_load(photos, request.user)  # the page's tags as rows, in one compiled query
        next_url = replace_query_param(request.build_absolute_uri(), "cursor", cursor) if cursor else None
        results = PhotoSerializer(photos, many=True, context={"request": request}).data
        return Response({"results": results, "next": next_url})
