"""Picture checks and re-encoding shared by product pictures and vendor logos.

``prepare(file)`` decodes an upload with Pillow and rejects, with a message in Bahasa
Indonesia, anything that is not a still JPEG, PNG, WebP or HEIC picture of at most 10 MB and
40 megapixels; an accepted picture comes back upright, in sRGB, without any metadata, as a
``ContentFile`` with a random name. Renditions and file clean-up of product pictures live in
``products/images.py``; this module knows no model, so both apps may use it.
"""

import io
import logging
import uuid
import warnings

import pillow_heif
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
ORIGINAL_MAX_SIDE = 2000
LOGO_MAX_SIDE = 512
JPEG_QUALITY = 88
WEBP_ORIGINAL_QUALITY = 90

# Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that; prepare() turns
# both into a message, and checks the size itself before any pixel is decoded.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
pillow_heif.register_heif_opener()
Image.init()  # load every plugin now, so that Image.open(formats=...) knows them all

# Only these parsers ever see an upload. The JPEG parser opens as "MPO" a JPEG that
# carries a second picture (depth map, HDR gain map), as many recent phones write them.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")

MESSAGES = {
    "too_large": _("Ukuran file %(size)s MB, melebihi batas 10 MB. Kecilkan fotonya lalu unggah lagi."),
    "not_image": _(
        "File ini bukan gambar yang didukung. Unggah foto berformat JPEG, PNG, WebP, atau HEIC (iPhone)."
    ),
    "corrupt": _(
        "Gambar rusak atau tidak lengkap (mungkin terpotong saat dikirim). "
        "Buka dan simpan ulang fotonya, lalu unggah lagi."
    ),
    "too_many_pixels": _(
        "Resolusi gambar terlalu besar (lebih dari 40 megapiksel). Kecilkan ukurannya lalu unggah lagi."
    ),
    "animated": _("Gambar bergerak (animasi) tidak didukung. Unggah foto diam."),
}


def _error(code, **params):
    return ValidationError(MESSAGES[code], code=code, params=params or None)


def prepare(uploaded_file, *, max_side=ORIGINAL_MAX_SIDE):
    """Validate an uploaded picture and return it re-encoded, upright, in sRGB, without
    metadata, at most ``max_side`` px on its long side, as a ``ContentFile`` with a random
    name (``.jpg``, or ``.webp`` when it has transparency). Raises ``ValidationError``."""
    data = _read_limited(uploaded_file)
    image = _decode(data, max_side=max_side)
    image = _normalise(image, max_side=max_side)
    return _encode_original(image)


def _read_limited(uploaded_file):
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _error("too_large", size=f"{size / 1024 / 1024:.1f}")
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _error("too_large", size=f"> {MAX_BYTES // 1024 // 1024}")
    return data


def _decode(data, *, max_side):
    """Open with the accepted parsers only, check size and frames, then decode every pixel."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _error("too_many_pixels") from None
        except Exception:  # Pillow raises many kinds of errors on bad headers
            raise _error("not_image") from None
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise _error("too_many_pixels")
        if image.format != "MPO" and (
            getattr(image, "n_frames", 1) > 1 or getattr(image, "is_animated", False)
        ):
            raise _error("animated")
        if image.format in ("JPEG", "MPO") and max(width, height) >= 2 * max_side:
            # The JPEG decoder can scale by 1/2, 1/4 or 1/8 while decoding (never below
            # the cap): a 12-megapixel photo then costs a quarter of the work.
            scale = max_side / max(width, height)
            image.draft(image.mode, (round(width * scale), round(height * scale)))
        try:
            image.load()  # a full decode: a truncated or corrupt file fails here
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _error("too_many_pixels") from None
        except Exception:
            raise _error("corrupt") from None
    return image


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _has_alpha(image):
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _normalise(image, *, max_side):
    """Upright, at most max_side, sRGB, RGB or RGBA (only if some pixel is transparent)."""
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # unreadable EXIF: keep the picture as it is stored
        logger.info("Ignoring unreadable EXIF orientation", exc_info=True)
    icc = image.info.get("icc_profile")
    alpha = image.convert("RGBA").getchannel("A") if _has_alpha(image) else None
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        image = image.point(lambda v: v / 256).convert("L")  # 16-bit grey to 8-bit
    colour_mode = {"LA": "L", "La": "L", "1": "L", "CMYK": "CMYK", "L": "L"}.get(image.mode, "RGB")
    if image.mode != colour_mode:
        image = image.convert(colour_mode)
    # Shrink first: the colour transform is then done on at most 4 megapixels.
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        if alpha is not None:
            alpha = alpha.resize(image.size, Image.Resampling.LANCZOS)
    image = _to_srgb(image, icc)
    if alpha is not None and alpha.getextrema() != (255, 255):
        image.putalpha(alpha)
    image.info = {}
    return image


def _to_srgb(image, icc):
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(
                image, source, _SRGB, renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            logger.info("Ignoring an unusable ICC profile; treating the picture as sRGB")
    return image.convert("RGB")


def _encode_original(image):
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, "WEBP", quality=WEBP_ORIGINAL_QUALITY, method=4)
        extension = "webp"
    else:
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        extension = "jpg"
    content = ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex[:20]}.{extension}")
    content.prepared = True
    return content


# Renditions ---------------------------------------------------------------------------------


class PictureField(forms.ImageField):
    """A file field whose cleaned value is the prepared picture (see ``prepare``)."""

    max_side = ORIGINAL_MAX_SIDE

    def to_python(self, data):
        uploaded = forms.FileField.to_python(self, data)
        if uploaded is None:
            return None
        return prepare(uploaded, max_side=self.max_side)


class LogoField(PictureField):
    """A vendor logo: the same checks, kept smaller."""

    max_side = LOGO_MAX_SIDE
