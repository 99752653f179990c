"""Staff accounts for the two roles, and which accounts a curator may manage.

One write spanning several models (user, group, vendor link), so it lives in a
function used by the ``create_account`` command; the admin's account pages use
``accounts_manageable_by`` so that managing accounts never grants more than the
vendor role.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Vendor
from .roles import CURATOR_GROUP, VENDOR_GROUP, is_curator

ROLES = (VENDOR_GROUP, CURATOR_GROUP)


def accounts_manageable_by(user):
    """Accounts this user may list and change in the admin: every account for a
    superuser; for a curator only plain and vendor accounts (not superusers, in no
    group but "vendor", without permissions of their own); none for anyone else."""
    User = get_user_model()
    if user.is_active and user.is_superuser:
        return User.objects.all()
    if not is_curator(user):
        return User.objects.none()
    return (
        User.objects.filter(is_superuser=False)
        .exclude(groups__in=Group.objects.exclude(name=VENDOR_GROUP))
        .exclude(user_permissions__isnull=False)
    )


def check_account(*, username, role, vendor=None, email=""):
    """Validate everything about a new account but its password.

    Return the Vendor to link (None for a curator); raise ValidationError
    listing every problem.
    """
    User = get_user_model()
    errors = []
    linked = None
    if role not in ROLES:
        errors.append(
            _("Peran tidak dikenal: %(role)s. Pilih salah satu: %(roles)s.")
            % {"role": role, "roles": ", ".join(ROLES)}
        )
    elif role == VENDOR_GROUP:
        if not vendor:
            errors.append(_("Akun vendor perlu slug usaha (--vendor SLUG)."))
        else:
            linked = Vendor.objects.filter(slug=vendor).first()
            if linked is None:
                errors.append(_("Usaha dengan slug %(slug)s tidak ditemukan.") % {"slug": vendor})
    elif vendor:
        errors.append(_("Akun kurator tidak ditautkan ke usaha; hapus --vendor."))

    if User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username}).exists():
        errors.append(_("Nama pengguna %(username)s sudah dipakai.") % {"username": username})
    else:
        try:
            User(**{User.USERNAME_FIELD: username}, email=email).full_clean(exclude=["password"])
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return linked


def create_account(*, username, role, password, vendor=None, email=""):
    """Create an active staff account in the group of ``role`` ("vendor" or
    "curator") and return it. A vendor account is linked to the vendor whose
    slug is ``vendor``. The password must pass Django's password validators.
    Raise ValidationError (nothing written) on any bad input."""
    linked = check_account(username=username, role=role, vendor=vendor, email=email)
    User = get_user_model()
    user = User(**{User.USERNAME_FIELD: username}, email=email, is_staff=True, is_active=True)
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=role))
        if linked is not None:
            linked.users.add(user)
    return user
