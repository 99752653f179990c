import getpass
import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from vendors.accounts import ROLES, check_account, create_account
from vendors.roles import VENDOR_GROUP

PASSWORD_ENV = "ACCOUNT_PASSWORD"  # noqa: S105 (the variable name, not a password)


class Command(BaseCommand):
    @property
    def help(self):
        # Translated when asked for, not at import time.
        return _(
            "Buat akun staf untuk admin: --role vendor --vendor SLUG_USAHA, atau --role curator. "
            "Kata sandi diambil dari variabel lingkungan ACCOUNT_PASSWORD atau ditanyakan di terminal."
        )

    # Lets tests hand in a fake terminal, like Django's createsuperuser.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username", help=_("nama pengguna akun baru"))
        parser.add_argument("--role", required=True, help=_("peran akun: %s") % ", ".join(ROLES))
        parser.add_argument("--vendor", help=_("slug usaha yang dikelola (wajib untuk peran vendor)"))
        parser.add_argument("--email", default="", help=_("alamat email (boleh kosong)"))

    def handle(self, *args, username, role, vendor, email, **options):
        self.stdin = options.get("stdin", sys.stdin)
        try:
            # Check the cheap things first, so nobody types a password in vain.
            linked = check_account(username=username, role=role, vendor=vendor, email=email)
            password = self.read_password()
            user = create_account(username=username, role=role, password=password, vendor=vendor, email=email)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from error

        if role == VENDOR_GROUP:
            message = _("Akun vendor %(username)s dibuat untuk usaha %(vendor)s.") % {
                "username": user.get_username(),
                "vendor": linked.name,
            }
        else:
            message = _("Akun kurator %(username)s dibuat.") % {"username": user.get_username()}
        self.stdout.write(self.style.SUCCESS(message + " " + _("Masuk di /admin/.")))

    def read_password(self):
        password = os.environ.get(PASSWORD_ENV)
        if password:
            return password
        if not (hasattr(self.stdin, "isatty") and self.stdin.isatty()):
            raise CommandError(
                _("Tidak ada kata sandi: isi variabel lingkungan %(env)s atau jalankan di terminal.")
                % {"env": PASSWORD_ENV}
            )
        password = getpass.getpass(_("Kata sandi: "))
        if not password:
            raise CommandError(_("Kata sandi tidak boleh kosong."))
        if password != getpass.getpass(_("Kata sandi (ulangi): ")):
            raise CommandError(_("Kedua kata sandi tidak sama."))
        return password
