"""API of "Download my data": start an export, poll it, download the zip with a link that expires."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from photos.export import selectors, services
from photos.export.models import DataExport
from photos.throttles import ExportThrottle


class DataExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=DataExport.Status.values)
    progress = serializers.IntegerField(help_text="Percent done.")
    size = serializers.IntegerField(help_text="Bytes of the zip, once ready.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When the zip and its link go.")
    download = serializers.SerializerMethodField(
        help_text="Signed link for you only, until expires_at; null until ready."
    )

    def get_download(self, export: DataExport) -> str | None:
        link = selectors.data_export_link(export, api=True)
        return self.context["request"].build_absolute_uri(link) if link else None


class DataExportsApi(APIView):
    """Your data exports; POST starts one (or returns the one being built)."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ExportThrottle]

    @extend_schema(
        operation_id="v1_users_me_exports_list",
        responses={200: inline_serializer("DataExportList", {"results": DataExportSerializer(many=True)})},
    )
    def get(self, request):
        exports = selectors.data_exports_of(request.user)
        return Response({"results": DataExportSerializer(exports, many=True, context={"request": request}).data})

    @extend_schema(request=None, responses={202: DataExportSerializer})
    def post(self, request):
        export = services.data_export_request(user=request.user)
        data = DataExportSerializer(export, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class DataExportApi(APIView):
    """One of your exports: poll it until ``status`` is ready, then fetch ``download``."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: DataExportSerializer})
    def get(self, request, export_id: int):
        export = selectors.data_export_get(user=request.user, export_id=export_id)
        return Response(DataExportSerializer(export, context={"request": request}).data)


class DataExportDownloadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request, signed: str):
        """The zip, for its owner only while the link lasts; 404 otherwise."""
        export = selectors.data_export_download_get(user=request.user, signed=signed)
        response = FileResponse(export.file.open("rb"), as_attachment=True, filename=f"socialsite-{request.user}.zip")
        response["Cache-Control"] = "private, no-store"
        return response
