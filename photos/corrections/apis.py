"""API: the owner confirms, removes or adds a tag on one of their photos."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from photos import selectors
from photos.apis.serializers import PhotoTagSerializer
from photos.corrections import services
from photos.corrections.selectors import may_correct_tags


class PhotoTagsApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=services.TAG_NAME_MAX_LENGTH, help_text="The tag, e.g. latte art.")

    @extend_schema(
        request=InputSerializer,
        responses={201: PhotoTagSerializer, 200: PhotoTagSerializer},
        description="Add a tag of your own (source user, the manual tag) to your photo: 201. A tag the network "
        "gave is confirmed instead, and a tag already yours is returned as it is: 200. Owner tags rank above "
        "the network's in search; adding a tag you removed before lifts its tombstone.",
    )
    def post(self, request, photo_id: int):
        photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
        if not may_correct_tags(user=request.user, photo=photo):  # before judging the input: refused is refused
            raise PermissionDenied(services.NOT_OWNER)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        photo_tag, created = services.photo_tag_add(actor=request.user, photo=photo, name=data.validated_data["name"])
        body = PhotoTagSerializer(photo_tag, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PhotoTagConfirmApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: PhotoTagSerializer},
        description="Confirm the network's tag on your photo: its source becomes confirmed and it ranks above "
        "the network's tags in search. Re-tagging the photo keeps it. Only the owner may (403); a photo you "
        "cannot see, or a tag it lacks, is 404.",
    )
    def post(self, request, photo_id: int, name: str):
        photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
        try:
            photo_tag = services.photo_tag_confirm(actor=request.user, photo=photo, name=name)
        except services.NoSuchTag as error:
            raise NotFound(error.message) from error
        return Response(PhotoTagSerializer(photo_tag, context={"request": request}).data)


class PhotoTagApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={204: None},
        description="Remove a tag from your photo and leave a tombstone: tagging the photo again never brings "
        "it back. A tag that comes from a hashtag in the caption is removed by editing the caption (400).",
    )
    def delete(self, request, photo_id: int, name: str):
        photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
        try:
            services.photo_tag_remove(actor=request.user, photo=photo, name=name)
        except services.NoSuchTag as error:
            raise NotFound(error.message) from error
        return Response(status=status.HTTP_204_NO_CONTENT)
