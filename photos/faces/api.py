"""API: the owner blurs or unblurs the faces found on their photo."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from photos import selectors
from photos.apis.serializers import PhotoFacesSerializer
from photos.faces.blur import faces_blur_set


class PhotoFacesApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        blur = serializers.BooleanField(
            help_text="Blur the faces in the served copies (done by the worker in a moment); false restores them."
        )

    @extend_schema(
        request=InputSerializer,
        responses={202: PhotoFacesSerializer},
        description="Owner only. The worker keeps a private unblurred copy while the faces are blurred.",
    )
    def post(self, request, photo_id: int):
        photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
        if photo.owner_id != request.user.pk:
            raise PermissionDenied("Only the owner can blur the faces on this photo.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            found = faces_blur_set(photo=photo, blur=data.validated_data["blur"])
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        return Response(PhotoFacesSerializer(found).data, status=status.HTTP_202_ACCEPTED)
