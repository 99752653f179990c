"""Prepare a local demo site: migrate, seed the demo catalogue on first run,
create demo accounts and print them. For local use only (refuses DEBUG off)."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from products.models import Product
from vendors.accounts import create_account
from vendors.models import Vendor

# Local demo accounts only: the command refuses to run with DEBUG off.
DEMO_PASSWORD_DEFAULT = "etalase-demo-2026"  # noqa: S105


class Command(BaseCommand):
    help = "Migrate, load the demo catalogue if the database is empty, and create demo accounts."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "setup_demo creates accounts with a known password: local use only (DEBUG on)."
            )
        password = os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)

        call_command("migrate", interactive=False, verbosity=0)
        if Product.objects.exists():
            self.stdout.write("Database already has a catalogue: keeping it.")
        else:
            self.stdout.write("Loading the demo catalogue…")
            call_command("seed_demo", stdout=self.stdout, stderr=self.stderr)

        User = get_user_model()
        vendor = Vendor.objects.filter(active=True).order_by("slug").first()
        accounts = [("admin", "superuser", None), ("kurator", "curator", None)]
        if vendor:
            accounts.append(("penjual", "vendor", vendor))
        for username, role, linked in accounts:
            if User.objects.filter(username=username).exists():
                continue
            if role == "superuser":
                User.objects.create_superuser(username=username, password=password, email="")
            else:
                create_account(username=username, role=role, password=password, vendor=linked and linked.slug)

        self.stdout.write(self.style.SUCCESS("\nEtalase UMKM is ready at http://127.0.0.1:8000/"))
        self.stdout.write("Admin: http://127.0.0.1:8000/admin/  (demo accounts, local use only)")
        for username, role, linked in accounts:
            extra = f" — {linked.name}" if linked else ""
            self.stdout.write(f"  {username:<8} / {password}   role: {role}{extra}")
