"""API for reporting a photo, a comment or an account to the moderators."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from photos.limits import REPORT_TEXT_MAX_LENGTH
from photos.moderation import selectors, services
from photos.moderation.models import Report
from photos.throttles import ReportThrottle

TARGET_HELP = "What you report: `photo:<id>`, `comment:<id>` or `account:<username>`."


def _target_parse(value: str) -> tuple[str, str]:
    kind, _, key = value.partition(":")
    if kind not in selectors.TARGET_KINDS or not key:
        raise serializers.ValidationError(TARGET_HELP)
    if kind in ("photo", "comment") and not key.isdigit():
        raise serializers.ValidationError(f"A {kind} is given by its number, e.g. `{kind}:12`.")
    return kind, key


class ReportsApi(APIView):
    """File a report; moderators review it and tell you the outcome in your notifications."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ReportThrottle]

    class InputSerializer(serializers.Serializer):
        target = serializers.CharField(help_text=TARGET_HELP)
        reason = serializers.ChoiceField(choices=Report.reason_choices())
        text = serializers.CharField(required=False, allow_blank=True, max_length=REPORT_TEXT_MAX_LENGTH)

        def validate_target(self, value: str) -> tuple[str, str]:
            return _target_parse(value)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        target = serializers.CharField()
        reason = serializers.ChoiceField(choices=Report.Reason.choices)
        text = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        description="Report something you can see. 404 when you cannot see it; 400 for your own content, "
        "an unknown reason, or a second report of the same thing while the first is open; 429 past the rate.",
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        kind, key = given.validated_data["target"]
        target = selectors.report_target_get(viewer=request.user, kind=kind, key=key)
        report = services.report_create(
            reporter=request.user,
            target=target,
            reason=given.validated_data["reason"],
            text=given.validated_data.get("text", ""),
        )
        data = {
            "id": report.pk,
            "target": request.data["target"],
            "reason": report.reason,
            "text": report.text,
            "created_at": report.created_at,
        }
        return Response(self.OutputSerializer(data).data, status=status.HTTP_201_CREATED)
