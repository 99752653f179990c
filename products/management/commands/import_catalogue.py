import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from products.importer import KINDS, ImportFailed, import_catalogue

SHOWN_PROBLEMS = 200


class Command(BaseCommand):
    help = _(
        "Impor kategori, usaha dan produk dari berkas CSV (UTF-8, baris judul). Semua atau tidak sama "
        "sekali: satu baris salah membatalkan seluruh impor. Format: docs/import.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--categories", metavar="CSV", help=_("Berkas kategori: slug, name, parent."))
        parser.add_argument(
            "--vendors",
            metavar="CSV",
            help=_("Berkas usaha: slug, name, district, whatsapp, address, description, verified, active."),
        )
        parser.add_argument(
            "--products",
            metavar="CSV",
            help=_(
                "Berkas produk: slug, vendor, category, name, price, unit, availability, certifications, "
                "export_ready, status, description."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Periksa dan hitung apa yang akan berubah, tanpa menyimpan apa pun."),
        )

    def handle(self, *args, categories, vendors, products, dry_run, verbosity, **options):
        if not (categories or vendors or products):
            raise CommandError(_("Sebutkan minimal satu berkas: --categories, --vendors atau --products."))
        started = time.monotonic()
        last_report = [started]

        def progress(done):
            now = time.monotonic()
            if verbosity >= 1 and now - last_report[0] >= 5:
                last_report[0] = now
                self.stderr.write(_("… %(done)s baris produk ditulis") % {"done": f"{done:,}"})

        try:
            result = import_catalogue(
                categories=categories, vendors=vendors, products=products, dry_run=dry_run, progress=progress
            )
        except ImportFailed as failure:
            for problem in failure.problems[:SHOWN_PROBLEMS]:
                self.stderr.write(str(problem))
            hidden = failure.total - min(len(failure.problems), SHOWN_PROBLEMS)
            if hidden:
                self.stderr.write(_("… dan %(count)s masalah lain.") % {"count": hidden})
            raise CommandError(
                _("Impor dibatalkan: %(total)s masalah ditemukan, tidak ada data yang disimpan.")
                % {"total": failure.total}
            ) from None

        labels = {"categories": _("Kategori"), "vendors": _("Usaha"), "products": _("Produk")}
        given = {"categories": categories, "vendors": vendors, "products": products}
        for kind in KINDS:
            if given[kind]:
                counts = result.counts[kind]
                self.stdout.write(
                    _("%(label)s: %(created)s baru, %(updated)s diubah, %(unchanged)s tetap.")
                    % {
                        "label": labels[kind],
                        "created": counts.created,
                        "updated": counts.updated,
                        "unchanged": counts.unchanged,
                    }
                )
        if dry_run:
            message = _("Uji coba selesai dalam %(seconds).1f detik: tidak ada yang disimpan.")
        else:
            message = _("Impor selesai dalam %(seconds).1f detik.")
        self.stdout.write(self.style.SUCCESS(message % {"seconds": result.seconds}))
