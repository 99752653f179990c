"""Site-wide plain responses that need neither a template nor the database."""

from django.http import HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.generic import RedirectView

from .http import conditional_page, static_etag

ROBOTS_MAX_AGE = 86400


@require_GET
@conditional_page(static_etag, max_age=ROBOTS_MAX_AGE, page_cache=False)
@cache_control(public=True, max_age=ROBOTS_MAX_AGE)
def robots_txt(request):
    """Crawlers may read everything public; the admin is off limits. No query:
    this is the cheapest page of the site (the load benchmark's ceiling)."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /i18n/",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


class FaviconView(RedirectView):
    """/favicon.ico, asked by browsers and crawlers that ignore the <link rel=icon>."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.ico")
