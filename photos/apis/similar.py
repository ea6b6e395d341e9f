"""API for similar photos: "more like this" for one photo."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from photos import selectors
from photos.apis.serializers import PhotoSerializer
from photos.limits import SIMILAR_MAX, SIMILAR_PAGE_SIZE
from photos.similar.selectors import photos_similar_to


@extend_schema_serializer(component_name="SimilarPhoto")
class SimilarPhotoSerializer(serializers.Serializer):
    photo = PhotoSerializer()
    similarity = serializers.FloatField(
        help_text="Cosine similarity of the two photos' CNN embeddings: 1 is the same picture; "
        "above about 0.9 a copy or an edit; different photos of one subject are often 0.6-0.8."
    )


class SimilarPhotosApi(APIView):
    class InputSerializer(serializers.Serializer):
        limit = serializers.IntegerField(required=False, min_value=1, max_value=SIMILAR_MAX, default=SIMILAR_PAGE_SIZE)

    @extend_schema(
        description="Photos you may see that look most like this one, most similar first, each with its "
        "similarity; only those at least SIMILAR_MIN_SIMILARITY (0.5) alike, so the list may be short or "
        "empty. Never the photo itself. 404 if you may not see the photo.",
        parameters=[InputSerializer],
        responses=inline_serializer(
            "SimilarPhotoPage",
            {"results": SimilarPhotoSerializer(many=True), "next": serializers.URLField(allow_null=True)},
        ),
    )
    def get(self, request, photo_id: int):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        # Only whether the viewer may see it: the cards are loaded for the results, not for this photo.
        photo = get_object_or_404(selectors.photos_visible_to(request.user).only("pk", "owner_id"), pk=photo_id)
        items = photos_similar_to(photo=photo, viewer=request.user, limit=data.validated_data["limit"])
        results = SimilarPhotoSerializer(items, many=True, context={"request": request}).data
        return Response({"results": results, "next": None})
