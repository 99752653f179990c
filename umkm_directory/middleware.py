"""Project-wide middleware: one security header no library covers, and a
friendly page while the database is unreachable."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class PermissionsPolicyMiddleware:
    """Send settings.PERMISSIONS_POLICY, switching off browser features
    (camera, microphone, location, payment) the site never uses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def database_unavailable_response():
    """The 503 page, rendered without a request so that no context processor
    (user, session, messages) touches the database that just failed."""
    try:
        body = render_to_string("503.html", {"SITE_NAME": settings.SITE_NAME})
    except Exception:  # an error page must not fail: plain words will do
        logger.exception("The 503 page could not be rendered")
        body = format_html(
            '<!doctype html><html lang="id"><meta charset="utf-8"><title>503</title><h1>{}</h1><p>{}</p>',
            _("Maaf, situs sedang ada gangguan"),
            _("Silakan muat ulang halaman ini dalam satu atau dua menit."),
        )
    response = HttpResponse(body, status=503)
    # Ask well-behaved clients and crawlers to come back shortly; never cache.
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turn a lost database connection during a view into a short-lived 503
    page instead of a server error. Django drops the broken connection at
    the end of the request (CONN_HEALTH_CHECKS too), so the next request
    connects afresh and the site recovers by itself when the database
    returns. Only connection-level errors are caught: a programming error
    (ProgrammingError, IntegrityError) still surfaces as a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG or not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("Database unavailable during %s %s: %s", request.method, request.path, exception)
        return database_unavailable_response()
