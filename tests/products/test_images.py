import io
import struct
import zlib

import pytest
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms

from products.cards import card_row, cards, picture_html
from products.images import ProductImageForm, attach_image
from products.models import Product, ProductImage
from tests.factories import CategoryFactory, ProductFactory, VendorFactory, vendor_user
from umkm_directory.pictures import MAX_BYTES, LogoField, prepare

pytestmark = pytest.mark.django_db

RED, BLUE = (220, 20, 30), (20, 40, 200)
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def encode(image, fmt="JPEG", **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def photo(size=(400, 300), colour=BLUE):
    """A picture with a red square in its top-left corner."""
    image = Image.new("RGB", size, colour)
    image.paste(RED, (0, 0, size[0] // 4, size[1] // 3))
    return image


def noisy(size=(300, 200)):
    """Photographic-looking content, so a JPEG of it has some body."""
    return Image.merge("RGB", [Image.effect_noise(size, 40 + 10 * i) for i in range(3)])


def phone_jpeg(size=(400, 300), orientation=6):
    """A phone photo: sideways pixels, EXIF orientation, GPS position, XMP and a comment."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Samsung"
    exif[GPS_IFD] = {1: "S", 2: (1.0, 16.0, 12.0), 3: "E", 4: (116.0, 49.0, 48.0)}
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    return encode(photo(size), exif=exif, xmp=xmp, comment=b"Rumah Bu Ani, Gn. Samarinda")


def png_header(width, height):
    """A PNG that claims a size: enough for Pillow to open it, without the pixels."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def media_files(settings):
    root = settings.MEDIA_ROOT
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def open_stored(name):
    with default_storage.open(name, "rb") as fh:
        image = Image.open(io.BytesIO(fh.read()))
        image.load()
    return image


def upload(data, name="foto.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


# Re-encoding --------------------------------------------------------------------------------


def test_rotated_phone_photo_comes_out_upright_without_any_metadata():
    source = Image.open(io.BytesIO(phone_jpeg()))
    assert source.getexif().get_ifd(GPS_IFD), "the test photo must carry a GPS position"

    content = prepare(upload(phone_jpeg()))

    data = content.read()
    result = Image.open(io.BytesIO(data))
    assert result.format == "JPEG"
    assert result.size == (300, 400)  # orientation 6: turned a quarter clockwise
    assert max(abs(a - b) for a, b in zip(result.getpixel((295, 5)), RED, strict=True)) < 30
    assert max(abs(a - b) for a, b in zip(result.getpixel((5, 5)), BLUE, strict=True)) < 30
    assert not result.getexif()
    for key in ("exif", "xmp", "comment", "icc_profile"):
        assert key not in result.info
    for marker in (b"Exif", b"Samsung", b"adobe:ns:meta", b"Samarinda"):
        assert marker not in data


def test_saving_an_unprocessed_file_in_code_still_strips_the_location():
    product = ProductFactory()
    image = ProductImage.objects.create(product=product, image=ContentFile(phone_jpeg(), name="IMG_0001.jpg"))

    stored = open_stored(image.image.name)
    assert stored.size == (300, 400)
    assert not stored.getexif()
    assert "IMG_0001" not in image.image.name
    assert (image.width, image.height) == (300, 400)


def test_large_photo_is_capped_at_2000_px():
    content = prepare(upload(encode(noisy((3000, 2000)))))
    assert Image.open(content).size == (2000, 1333)


def test_photo_decoded_at_reduced_size_is_still_checked_to_the_end():
    # Twice the cap or more, a JPEG is decoded directly at 1/2, 1/4 or 1/8 size.
    assert Image.open(prepare(upload(encode(noisy((640, 480)))), max_side=200)).size == (200, 150)
    with pytest.raises(ValidationError) as caught:
        prepare(upload(truncated("JPEG")), max_side=100)
    assert caught.value.code == "corrupt"


def test_png_with_transparency_is_kept_transparent_as_webp():
    image = Image.new("RGBA", (200, 100), (255, 0, 0, 0))
    image.paste((0, 128, 0, 255), (50, 25, 150, 75))

    content = prepare(upload(encode(image, "PNG"), "logo.png"))

    result = Image.open(content)
    assert result.format == "WEBP"
    assert result.mode == "RGBA"
    assert result.getpixel((0, 0))[3] == 0
    assert result.getpixel((100, 50))[3] == 255


def test_opaque_png_and_webp_are_accepted_as_jpeg():
    for data in (encode(photo(), "PNG"), encode(photo(), "WEBP", quality=90)):
        result = Image.open(prepare(upload(data, "foto")))
        assert (result.format, result.mode, result.size) == ("JPEG", "RGB", (400, 300))


def test_palette_png_with_transparency_keeps_it():
    image = photo().convert("P")
    image.info["transparency"] = image.getpixel((399, 299))
    result = Image.open(prepare(upload(encode(image, "PNG", transparency=image.info["transparency"]))))
    assert result.mode == "RGBA"
    assert result.getpixel((399, 299))[3] == 0


def test_cmyk_jpeg_is_converted_to_rgb():
    cmyk = Image.new("CMYK", (64, 64), (0, 255, 255, 0))  # pure red ink

    result = Image.open(prepare(upload(encode(cmyk))))

    assert result.mode == "RGB"
    red, green, blue = result.getpixel((32, 32))
    assert red > 200 and green < 60 and blue < 60


def test_embedded_colour_profile_is_applied_then_dropped():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    result = Image.open(prepare(upload(encode(photo(), icc_profile=srgb))))
    assert "icc_profile" not in result.info
    assert max(abs(a - b) for a, b in zip(result.getpixel((5, 5)), RED, strict=True)) < 30


def test_heic_photo_from_an_iphone_is_accepted():
    result = Image.open(prepare(upload(encode(photo(), "HEIF"), "IMG_0001.HEIC")))
    assert (result.format, result.size) == ("JPEG", (400, 300))


def test_jpeg_with_a_second_picture_from_a_recent_phone_is_accepted():
    # Android "Ultra HDR" photos and portrait shots carry a gain or depth map as a second
    # picture; Pillow reads them as MPO. They are still photos.
    data = encode(photo(), "MPO", save_all=True, append_images=[Image.new("L", (100, 75))])
    result = Image.open(prepare(upload(data)))
    assert (result.format, result.size) == ("JPEG", (400, 300))


# Rejections -------------------------------------------------------------------------------


def truncated(fmt):
    data = encode(noisy(), fmt)
    return data[: len(data) // 2]


BAD_FILES = {
    "text": (lambda: b"Ini bukan gambar, cuma catatan harga.", "not_image", "bukan gambar"),
    "gif": (lambda: encode(photo(), "GIF"), "not_image", "bukan gambar"),
    "truncated_jpeg": (lambda: truncated("JPEG"), "corrupt", "rusak"),
    "truncated_png": (lambda: truncated("PNG"), "corrupt", "rusak"),
    "over_10_mb": (lambda: encode(photo()) + b"\0" * MAX_BYTES, "too_large", "10 MB"),
    "over_40_megapixels": (lambda: png_header(8000, 5001), "too_many_pixels", "40 megapiksel"),
    "decompression_bomb": (lambda: png_header(20000, 20000), "too_many_pixels", "40 megapiksel"),
    "animated_webp": (
        lambda: encode(photo(), "WEBP", save_all=True, append_images=[photo(colour=RED)]),
        "animated",
        "animasi",
    ),
    "animated_png": (
        lambda: encode(photo(), "PNG", save_all=True, append_images=[photo(colour=RED)]),
        "animated",
        "animasi",
    ),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_file_is_rejected_with_its_message_and_nothing_is_stored(kind, settings):
    make, code, words = BAD_FILES[kind]
    product = ProductFactory()
    form = ProductImageForm(
        data={"product": product.pk, "alt": "", "position": 0}, files={"image": upload(make())}
    )

    assert not form.is_valid()
    error = form.errors.as_data()["image"][0]
    assert error.code == code
    assert words in form.errors["image"][0]
    assert not ProductImage.objects.exists()
    assert media_files(settings) == []


def test_logo_field_rejects_an_animated_logo_with_its_message():
    class LogoForm(forms.Form):
        logo = LogoField()

    animated = encode(photo(), "WEBP", save_all=True, append_images=[photo(colour=RED)])
    form = LogoForm(files={"logo": upload(animated, "logo.webp")})
    assert not form.is_valid()
    assert "animasi" in form.errors["logo"][0]
    form = LogoForm(files={"logo": upload(encode(photo((1600, 1200))), "logo.jpg")})
    assert form.is_valid()
    assert Image.open(form.cleaned_data["logo"]).size == (512, 384)


def test_prepare_raises_for_code_callers():
    with pytest.raises(ValidationError) as caught:
        attach_image(ProductFactory(), b"bukan gambar")
    assert caught.value.code == "not_image"
    assert not ProductImage.objects.exists()


# Renditions ---------------------------------------------------------------------------------


def test_renditions_are_webp_at_the_right_sizes_with_a_square_thumbnail(settings):
    image = attach_image(ProductFactory(), encode(noisy((2000, 1500))))

    widths = image.renditions["widths"]
    assert [(r["width"], r["height"]) for r in widths] == [(320, 240), (640, 480), (1280, 960)]
    for rendition in widths:
        stored = open_stored(rendition["name"])
        assert stored.format == "WEBP"
        assert stored.size == (rendition["width"], rendition["height"])
    thumbnail = open_stored(image.renditions["thumbnail"]["name"])
    assert (thumbnail.format, thumbnail.size) == ("WEBP", (160, 160))
    assert len(media_files(settings)) == 5  # original, three widths, thumbnail
    assert ProductImage.objects.get().renditions == image.renditions


def test_small_picture_is_never_upscaled():
    image = attach_image(ProductFactory(), encode(noisy((500, 400))))

    assert [(r["width"], r["height"]) for r in image.renditions["widths"]] == [(320, 256), (500, 400)]
    tiny = attach_image(ProductFactory(), encode(noisy((100, 80))))
    assert [(r["width"], r["height"]) for r in tiny.renditions["widths"]] == [(100, 80)]
    assert open_stored(tiny.renditions["thumbnail"]["name"]).size == (80, 80)


def test_replacing_the_file_regenerates_renditions_and_removes_the_old_files(
    settings, django_capture_on_commit_callbacks
):
    image = attach_image(ProductFactory(), encode(noisy((800, 600))))
    old_files = media_files(settings)

    with django_capture_on_commit_callbacks(execute=True):
        image.image = prepare(upload(encode(noisy((700, 700)))))
        image.save()

    image.refresh_from_db()
    assert image.renditions["source"] == image.image.name
    assert [r["width"] for r in image.renditions["widths"]] == [320, 640, 700]
    remaining = media_files(settings)
    assert not set(old_files) & set(remaining)
    assert len(remaining) == 5


def test_reordering_keeps_the_files(settings, django_capture_on_commit_callbacks):
    image = attach_image(ProductFactory(), encode(noisy((800, 600))))
    files = media_files(settings)
    with django_capture_on_commit_callbacks(execute=True):
        image.position = 3
        image.save()
    assert media_files(settings) == files


def test_a_row_whose_file_is_missing_saves_and_falls_back_to_the_file_url():
    image = ProductImage.objects.create(
        product=ProductFactory(), image="products/hilang.jpg", width=800, height=600
    )

    assert image.renditions == {}
    html = picture_html(**{"image": image, "alt": "Amplang"})
    assert f'src="{default_storage.url("products/hilang.jpg")}"' in html
    assert 'width="800" height="600"' in html
    assert "srcset" not in html


# Deletion --------------------------------------------------------------------------------


def test_deleting_a_picture_removes_its_files(settings, django_capture_on_commit_callbacks):
    product = ProductFactory()
    image = attach_image(product, encode(noisy()))
    keep = attach_image(product, encode(noisy()), position=1)
    assert len(media_files(settings)) == 6  # each: original, one 300 px rendition, thumbnail

    with django_capture_on_commit_callbacks(execute=True):
        image.delete()

    assert len(media_files(settings)) == 3
    assert all(
        default_storage.exists(name) for name in [keep.image.name, keep.renditions["thumbnail"]["name"]]
    )


def test_deleting_a_product_removes_the_files_of_all_its_pictures(
    settings, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    attach_image(product, encode(noisy()))
    attach_image(product, encode(noisy()), position=1)
    other = attach_image(ProductFactory(), encode(noisy()))

    with django_capture_on_commit_callbacks(execute=True):
        product.delete()

    assert len(media_files(settings)) == 3
    assert default_storage.exists(other.image.name)


def test_deleting_a_vendor_removes_its_logo_and_all_product_pictures(
    settings, django_capture_on_commit_callbacks
):
    vendor = VendorFactory(logo=ContentFile(phone_jpeg(), name="logo.jpg"))
    for product in ProductFactory.create_batch(2, vendor=vendor):
        attach_image(product, encode(noisy()))
    assert len(media_files(settings)) == 7

    with django_capture_on_commit_callbacks(execute=True):
        vendor.delete()

    assert media_files(settings) == []
    assert not Product.objects.exists()


def test_vendor_logo_is_cleaned_and_a_replaced_logo_removed(settings, django_capture_on_commit_callbacks):
    vendor = VendorFactory(logo=ContentFile(phone_jpeg((1600, 1200)), name="logo.jpg"))
    old = vendor.logo.name
    stored = open_stored(old)
    assert stored.size == (384, 512)  # upright, at most 512 px
    assert not stored.getexif()

    with django_capture_on_commit_callbacks(execute=True):
        vendor.logo = ContentFile(encode(photo()), name="baru.png")
        vendor.save()

    assert media_files(settings) == [vendor.logo.name]
    assert vendor.logo.name != old


# Pages --------------------------------------------------------------------------------------


def test_picture_partial_renders_responsive_image_without_queries(django_assert_num_queries):
    image = attach_image(ProductFactory(name="Amplang Ikan Tenggiri"), encode(noisy((2000, 1500))))
    card = card_row(Product.objects.card_rows().get())  # its cover from the card's own row

    with django_assert_num_queries(0):
        html = picture_html(card.cover, alt=card.name, sizes="(min-width: 40em) 25vw, 50vw")

    for rendition in image.renditions["widths"]:
        assert f"{default_storage.url(rendition['name'])} {rendition['width']}w" in html
    assert 'sizes="(min-width: 40em) 25vw, 50vw"' in html
    assert 'width="640" height="480"' in html
    assert 'loading="lazy"' in html
    assert 'alt="Amplang Ikan Tenggiri"' in html


def test_a_card_shows_the_first_picture_by_position_and_a_placeholder_without_pictures():
    pictured, bare = ProductFactory(name="Batik Kuntul Perak"), ProductFactory(name="Amplang Polos")
    later = attach_image(pictured, encode(noisy((800, 600))), position=2)
    first = attach_image(pictured, encode(noisy((640, 480))), position=1)

    html = dict(zip([pictured.pk, bare.pk], cards([pictured.pk, bare.pk]), strict=True))

    assert f'src="{first.src_url}"' in html[pictured.pk]
    assert f'width="{first.src_width}" height="{first.src_height}"' in html[pictured.pk]
    assert later.src_url not in html[pictured.pk]
    assert 'alt="Batik Kuntul Perak"' in html[pictured.pk]
    assert "picture--placeholder" in html[bare.pk] and "<img" in html[bare.pk]


def test_picture_partial_thumbnail_and_eager_variants():
    image = attach_image(ProductFactory(), encode(noisy((800, 600))), alt="Kemasan 250 g")

    thumb = picture_html(**{"image": image, "variant": "thumb"})
    assert default_storage.url(image.renditions["thumbnail"]["name"]) in thumb
    assert 'width="160" height="160"' in thumb
    assert 'alt="Kemasan 250 g"' in thumb
    decorative = picture_html(**{"image": image, "variant": "thumb", "alt": ""})
    assert 'alt=""' in decorative
    first = picture_html(**{"image": image, "loading": "eager"})
    assert 'loading="eager"' in first
    assert "lazy" not in first


def test_picture_partial_shows_a_placeholder_without_a_picture():
    html = picture_html(**{"image": None, "alt": "Amplang"})
    assert "img/placeholder.svg" in html
    assert 'width="640" height="480"' in html
    assert "srcset" not in html


# Admin --------------------------------------------------------------------------------------


def product_form_data(product, picture):
    data = {
        "vendor": product.vendor_id,
        "category": product.category_id,
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "price": product.price,
        "unit": product.unit,
        "availability": product.availability,
        "status": product.status,
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
        "images-0-alt": "",
        "images-0-position": "0",
        "images-0-image": picture,
    }
    return data


def test_vendor_cannot_attach_a_picture_to_another_vendors_product(client, settings):
    own = ProductFactory(category=CategoryFactory())
    foreign = ProductFactory()
    client.force_login(vendor_user(own.vendor))

    response = client.post(
        reverse("admin:products_product_change", args=[foreign.pk]),
        product_form_data(foreign, upload(encode(noisy()))),
    )

    assert response.status_code in (403, 404)
    assert not ProductImage.objects.exists()
    assert media_files(settings) == []
    # The same upload to the vendor's own product goes through, so the request above was valid.
    response = client.post(
        reverse("admin:products_product_change", args=[own.pk]),
        product_form_data(own, upload(encode(noisy()))),
    )
    assert response.status_code == 302
    assert ProductImage.objects.get().product == own
    # Pictures are edited only inside their product, under its ownership rules.
    assert not admin.site.is_registered(ProductImage)


def test_admin_upload_of_a_bad_file_shows_the_message_and_stores_nothing(client, settings):
    product = ProductFactory()
    client.force_login(vendor_user(product.vendor))

    response = client.post(
        reverse("admin:products_product_change", args=[product.pk]),
        product_form_data(product, upload(truncated("JPEG"))),
    )

    assert response.status_code == 200
    assert "Gambar rusak atau tidak lengkap" in response.content.decode()
    assert not ProductImage.objects.exists()
    assert media_files(settings) == []
