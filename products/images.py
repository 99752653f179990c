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
from pathlib import PurePosixPath

from django import forms
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from PIL import Image, ImageOps

from umkm_directory.pictures import LOGO_MAX_SIDE, PictureField, prepare
from vendors.models import Vendor

from .models import ProductImage

RENDITION_WIDTHS = (320, 640, 1280)
THUMBNAIL_SIZE = 160
WEBP_RENDITION_QUALITY = 80

logger = logging.getLogger(__name__)


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
