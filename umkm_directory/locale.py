"""The page language: Bahasa Indonesia unless the visitor picked another one."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class SiteLanguageMiddleware:
    """Activate the language chosen with the site's language switch (the
    cookie set by /i18n/setlang/), else settings.LANGUAGE_CODE.

    Unlike Django's LocaleMiddleware, the browser's Accept-Language is not
    consulted: the site is Indonesian by default (many Indonesian phones are
    set to English) and English is one click away. Responses then vary only
    on the cookie, which also keeps shared caches simple."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else None
        except LookupError:
            language = None
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Cookie",))
        return response
