import pytest
from django.core.exceptions import ValidationError

from tests.factories import VendorFactory
from vendors.phone import format_whatsapp, normalize_whatsapp


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "6281234567890",
        "+62 812-3456-7890",
        "+62 (812) 3456 7890",
        "812 3456 7890",
        "0812.3456.7890",
    ],
)
def test_accepted_forms_normalise_to_one(raw):
    assert normalize_whatsapp(raw) == "6281234567890"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0542 123456",  # Balikpapan landline
        "+1 415 555 0100",  # not Indonesian
        "0812",  # too short
        "0812345678901234",  # too long
        "08abc",
        "０８１２３４５６７８９０",  # full-width digits
        "62 0812 3456 7890",
    ],
)
def test_rejects_what_is_not_an_indonesian_mobile_number(raw):
    with pytest.raises(ValidationError):
        normalize_whatsapp(raw)


def test_display_form():
    assert format_whatsapp("6281234567890") == "+62 812-3456-7890"


@pytest.mark.django_db
def test_vendor_stores_the_normal_form_and_full_clean_rejects_landline():
    vendor = VendorFactory(whatsapp="+62 811-5400-123")
    vendor.refresh_from_db()
    assert vendor.whatsapp == "628115400123"

    vendor.whatsapp = "0542 733 111"
    with pytest.raises(ValidationError) as excinfo:
        vendor.full_clean()
    assert "whatsapp" in excinfo.value.message_dict
