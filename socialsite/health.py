"""Liveness for load balancers and container healthchecks: cheap, no session, no template."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Return 200 "ok" once the database answers, 503 when it does not.

    A web process that cannot reach PostgreSQL can serve nothing useful, so the check pings it
    (one ``SELECT 1``) rather than answering from memory.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
