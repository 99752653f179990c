"""Indonesian mobile (WhatsApp) numbers: one normal form, ``628xxxxxxxxx``."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# After the country code, Indonesian mobile numbers start with 8 and have
# 9 to 12 digits in all (e.g. 812-3456-789 up to 812-3456-78901).
_MOBILE = re.compile(r"^8[1-9]\d{7,10}$")
_SEPARATORS = re.compile(r"[\s\-.()/]")


def normalize_whatsapp(value):
    """Return ``value`` as ``62`` + national number, or raise ValidationError.

    Accepts ``0812…``, ``62812…``, ``+62 812-…`` and ``812…``; rejects landlines
    and anything that is not an Indonesian mobile number.
    """
    raw = _SEPARATORS.sub("", str(value or "").strip())
    if raw.startswith("+"):
        raw = raw[1:]
    if not raw.isdigit() or not raw.isascii():
        raise ValidationError(
            _("Nomor WhatsApp hanya boleh berisi angka, spasi, tanda +, - atau titik."),
            code="invalid",
        )
    if raw.startswith("62"):
        national = raw[2:]
    elif raw.startswith("0"):
        national = raw[1:]
    else:
        national = raw
    if not _MOBILE.match(national):
        raise ValidationError(
            _("%(value)s bukan nomor ponsel Indonesia. Contoh yang benar: 0812 3456 7890."),
            code="not_mobile",
            params={"value": value},
        )
    return "62" + national


def format_whatsapp(normal):
    """Show a stored number the way people write it: ``+62 812-3456-7890``."""
    national = normal[2:]
    return f"+62 {national[:3]}-{national[3:7]}-{national[7:]}"
