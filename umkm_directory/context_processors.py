from django.conf import settings


def site(request):
    """Expose the city's and the site's name to every template."""
    return {"CITY_NAME": settings.CITY_NAME, "SITE_NAME": settings.SITE_NAME}
