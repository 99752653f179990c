"""Pictures: validation, re-encoding and renditions of product pictures and vendor logos.

One path for every picture, whoever uploads it (admin form, demo data, shell):

1. ``prepare(file)`` decodes the upload with Pillow and rejects, with a message in Bahasa
   Indonesia, anything that is not a still JPEG, PNG, WebP or HEIC picture of at most 10 MB
   and 40 megapixels. An accepted picture is turned upright (EXIF orientation), converted to
   sRGB, shrunk to at most 2000 px on its long side (a 4000 x 3000 phone photo is then
   decoded at half size directly) and re-encoded with no metadata at all (no EXIF, GPS,
   XMP, ICC profile or comment), under a random name. A picture without transparency
   becomes a JPEG (quality 88, progressive): JPEG is what WhatsApp and social link
   previews read everywhere. One with transparency becomes a WebP (quality 90), which
   keeps it.
2. When a ProductImage is saved with a new file, ``post_save`` writes WebP renditions
   320, 640 and 1280 px wide (never wider than the picture) and a square 160 px thumbnail,
   and stores their names and sizes on the row (``ProductImage.renditions``), so pages build
   ``srcset`` with no extra query and no storage call.
3. Deleting a picture, a product or a vendor, or replacing a file, removes the old files
   once the transaction commits. Files are only touched through Django's storage API.

A file saved without going through ``prepare`` (a plain ``ContentFile`` assigned in code)
is prepared in ``pre_save`` as a safety net, so nothing unprocessed is ever stored.
"""

import io
import logging
import uuid
import warnings
from pathlib import PurePosixPath

import pillow_heif
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps

from vendors.models import Vendor

from .models import ProductImage

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
ORIGINAL_MAX_SIDE = 2000
LOGO_MAX_SIDE = 512
RENDITION_WIDTHS = (320, 640, 1280)
THUMBNAIL_SIZE = 160
JPEG_QUALITY = 88
WEBP_ORIGINAL_QUALITY = 90
WEBP_RENDITION_QUALITY = 80

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


def rendition_widths(width):
    """The rendition widths for a picture this wide: never wider than the picture, and the
    picture's own width when it is narrower than the largest rendition."""
    widths = [w for w in RENDITION_WIDTHS if w < width]
    if width <= RENDITION_WIDTHS[-1]:
        widths.append(width)
    return widths


def make_renditions(name, storage):
    """Write the WebP renditions and the square thumbnail of the stored picture ``name``;
    return their description as kept in ``ProductImage.renditions``."""
    with storage.open(name, "rb") as fh:
        source = Image.open(fh, formats=("JPEG", "WEBP", "PNG"))
        source.load()
    stem = PurePosixPath(name).stem
    folder = PurePosixPath(name).parent / "renditions"
    widths = []
    current = source
    for width in sorted(rendition_widths(source.width), reverse=True):
        height = max(1, round(source.height * width / source.width))
        # Each size is made from the next larger one: as sharp, and much faster.
        current = current.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        saved = _save_webp(storage, f"{folder}/{stem}-{width}w.webp", current)
        widths.insert(0, {"width": width, "height": height, "name": saved})
    side = min(THUMBNAIL_SIZE, source.width, source.height)
    thumb = ImageOps.fit(
        current if min(current.size) >= side else source, (side, side), Image.Resampling.LANCZOS
    )
    thumbnail = {"name": _save_webp(storage, f"{folder}/{stem}-thumb.webp", thumb), "size": side}
    return {"source": name, "widths": widths, "thumbnail": thumbnail}


def _save_webp(storage, name, image):
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_RENDITION_QUALITY, method=4)
    return storage.save(name, ContentFile(buffer.getvalue()))


def rendition_names(renditions):
    """Every file name a renditions description refers to, the source included."""
    renditions = renditions or {}
    names = [renditions.get("source")]
    names += [r.get("name") for r in renditions.get("widths", [])]
    names.append((renditions.get("thumbnail") or {}).get("name"))
    return [n for n in names if n]


def delete_files_on_commit(storage, names):
    """Remove files once the transaction commits (a rolled-back delete keeps them)."""
    names = sorted({n for n in names if n})
    if not names:
        return

    def delete():
        for name in names:
            try:
                storage.delete(name)
            except Exception:  # a missing file must not break a delete
                logger.warning("Could not delete %s from storage", name, exc_info=True)

    transaction.on_commit(delete)


# Forms and a helper for code ------------------------------------------------------------------


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


class ProductImageForm(forms.ModelForm):
    """For the product admin's picture inline: ``form = ProductImageForm``."""

    class Meta:
        model = ProductImage
        fields = ["image", "alt", "position"]
        field_classes = {"image": PictureField}


def attach_image(product, file_or_bytes, *, position=0, alt=""):
    """Add a picture to ``product`` through the same checks as an upload (raises
    ``ValidationError``). Accepts a file, bytes, or a Pillow image."""
    if isinstance(file_or_bytes, Image.Image):
        buffer = io.BytesIO()
        file_or_bytes.save(buffer, "PNG")
        file_or_bytes = buffer.getvalue()
    if isinstance(file_or_bytes, bytes | bytearray):
        file_or_bytes = ContentFile(bytes(file_or_bytes), name="upload")
    return ProductImage.objects.create(
        product=product, image=prepare(file_or_bytes), position=position, alt=alt
    )


# Signals: keep the files in step with the rows ------------------------------------------------


def _new_unprepared_file(field_file):
    """The file assigned to a field, if it is new and has not been through prepare()."""
    if not field_file or field_file._committed:
        return None
    return None if getattr(field_file.file, "prepared", False) else field_file.file


@receiver(pre_save, sender=ProductImage, dispatch_uid="product_image_pre_save")
def _product_image_pre_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    unprepared = _new_unprepared_file(instance.image)
    if unprepared is not None:
        instance.image = prepare(File(unprepared))
    renditions = instance.renditions or {}
    instance._old_files = []
    if instance.pk and (not instance.image._committed or renditions.get("source") != instance.image.name):
        old = sender.objects.filter(pk=instance.pk).values("image", "renditions").first()
        if old and old["image"] != instance.image.name:
            instance._old_files = [old["image"], *rendition_names(old["renditions"])]


@receiver(post_save, sender=ProductImage, dispatch_uid="product_image_post_save")
def _product_image_post_save(sender, instance, raw=False, **kwargs):
    if raw or not instance.image:
        return
    storage = instance.image.storage
    old_files = getattr(instance, "_old_files", [])
    previous = instance.renditions or {}
    if previous.get("source") != instance.image.name:
        old_files += rendition_names(previous)
        try:
            instance.renditions = make_renditions(instance.image.name, storage)
        except OSError:  # a row whose file is missing or unreadable (e.g. media not restored)
            logger.warning("No renditions for %s: file unreadable", instance.image.name, exc_info=True)
            instance.renditions = {}
        sender.objects.filter(pk=instance.pk).update(renditions=instance.renditions)
    keep = set(rendition_names(instance.renditions))
    delete_files_on_commit(storage, [n for n in old_files if n not in keep])
    instance._old_files = []


@receiver(post_delete, sender=ProductImage, dispatch_uid="product_image_post_delete")
def _product_image_post_delete(sender, instance, **kwargs):
    # Also sent for each picture of a product or vendor deleted by cascade: Django fetches
    # the rows of models with delete signals instead of deleting them in bulk.
    delete_files_on_commit(
        instance.image.storage, [instance.image.name, *rendition_names(instance.renditions)]
    )


@receiver(pre_save, sender=Vendor, dispatch_uid="vendor_logo_pre_save")
def _vendor_logo_pre_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    unprepared = _new_unprepared_file(instance.logo)
    if unprepared is not None:
        instance.logo = prepare(File(unprepared), max_side=LOGO_MAX_SIDE)
    instance._old_logo = None
    if instance.pk and (not instance.logo or not instance.logo._committed):
        old = sender.objects.filter(pk=instance.pk).values_list("logo", flat=True).first()
        if old and old != instance.logo.name:
            instance._old_logo = old


@receiver(post_save, sender=Vendor, dispatch_uid="vendor_logo_post_save")
def _vendor_logo_post_save(sender, instance, raw=False, **kwargs):
    old = getattr(instance, "_old_logo", None)
    if old:
        delete_files_on_commit(instance.logo.storage, [old])
        instance._old_logo = None


@receiver(post_delete, sender=Vendor, dispatch_uid="vendor_logo_post_delete")
def _vendor_logo_post_delete(sender, instance, **kwargs):
    if instance.logo:
        delete_files_on_commit(instance.logo.storage, [instance.logo.name])
