"""API for search: photos by what is in them, photos by tag, popular tags and completion."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from photos.apis.cards import photo_card
from photos.apis.serializers import PhotoSerializer
from photos.limits import MAX_PAGE_SIZE, PAGE_SIZE
from photos.search import selectors as search
from photos.search.text import ParsedQuery


class SearchTextField(serializers.CharField):
    """Free text from a search box: anything goes, NUL bytes are treated as spaces."""

    def to_internal_value(self, data) -> str:
        return super().to_internal_value(data).replace("\x00", " ")


class PageInputSerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, help_text="The `next` link's cursor.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE)


class MatchedTagSerializer(serializers.Serializer):
    name = serializers.CharField()
    source = serializers.CharField()
    confidence = serializers.FloatField()
    match = serializers.ChoiceField(choices=["tag", "category", "class"], help_text="What about the tag matched.")
    on = serializers.CharField(help_text="The name that matched: the tag, one of its categories or a CNN class.")


class SearchResultSerializer(PhotoSerializer):
    """A photo with its rank and why it matched."""

    score = serializers.FloatField(read_only=True, help_text="Higher is better; tag > category > class > caption.")
    matched_tags = MatchedTagSerializer(many=True, read_only=True)
    caption_match = serializers.BooleanField(read_only=True)

    class Meta(PhotoSerializer.Meta):
        fields = [*PhotoSerializer.Meta.fields, "score", "matched_tags", "caption_match"]
        read_only_fields = fields

    def to_representation(self, photo) -> dict:
        card = photo_card(photo, self.context.get("request"))
        card["score"] = float(photo.score)
        card["matched_tags"] = [
            {"name": m.name, "source": m.source, "confidence": float(m.confidence), "match": m.match, "on": m.on}
            for m in photo.matched_tags
        ]
        card["caption_match"] = bool(photo.caption_match)
        return card


SearchPageOutput = inline_serializer(
    "SearchPage",
    {"results": SearchResultSerializer(many=True), "next": serializers.URLField(allow_null=True)},
)


def _page_response(request: Request, query: ParsedQuery, page_input: dict, *, tags_only: bool = False) -> Response:
    page = search.search_page(
        request.user,
        query,
        cursor=page_input.get("cursor"),
        size=page_input["page_size"],
        tags_only=tags_only,
        tag_rows=True,
    )
    next_url = None
    if page.next_cursor:
        next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
    results = SearchResultSerializer(page.photos, many=True, context={"request": request}).data
    return Response({"results": results, "next": next_url})


class SearchApi(APIView):
    class InputSerializer(PageInputSerializer):
        q = SearchTextField(required=False, allow_blank=True, default="", trim_whitespace=False)

    @extend_schema(parameters=[InputSerializer], responses=SearchPageOutput)
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        return _page_response(request, search.parse_query(data.validated_data["q"]), data.validated_data)


class TagPhotosApi(APIView):
    @extend_schema(parameters=[PageInputSerializer], responses=SearchPageOutput)
    def get(self, request, name: str):
        data = PageInputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        # An unknown tag is an empty list, not a 404: a 404 would tell that a tag exists on
        # photos the caller may not see.
        return _page_response(request, search.tag_query(name), data.validated_data, tags_only=True)


class TagListApi(APIView):
    class InputSerializer(serializers.Serializer):
        prefix = SearchTextField(required=False, allow_blank=True, default="", trim_whitespace=False)
        limit = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=search.POPULAR_TAGS_LIMIT
        )

    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        categories = serializers.ListField(child=serializers.CharField())
        photo_count = serializers.IntegerField(help_text="Photos with this tag that you may see.")

    @extend_schema(
        parameters=[InputSerializer],
        responses=inline_serializer(
            "TagList", {"results": OutputSerializer(many=True), "next": serializers.URLField(allow_null=True)}
        ),
    )
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        tags = search.popular_tags(request.user, **data.validated_data)
        return Response({"results": self.OutputSerializer(tags, many=True).data, "next": None})
