import itertools
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.utils.translation import gettext as _

from products import search
from products.demo_data import DemoCatalogue, vendor_row
from products.images import attach_image
from products.importer import bump_catalogue_cache, indexes_built_after, refresh_statistics, write_catalogue
from products.models import Category, Product
from vendors.models import District, Vendor

PRODUCTS_PER_EXTRA_VENDOR = 10


def attach_picture(product, jpeg_bytes):
    """Give a demo product its picture through the same path as a vendor's upload
    (``products.images.attach_image``: checks, re-encoding and renditions)."""
    attach_image(product, ContentFile(jpeg_bytes, name=f"{product.slug}.jpg"), position=0)


def attach_pictures(seed, slugs):
    """Draw and attach the demo pictures of the base products with these
    slugs; return how many. Runs in a worker process too."""
    catalogue = DemoCatalogue(seed)
    rows = {row["slug"]: row for row in catalogue.products()}
    count = 0
    for product in Product.objects.filter(slug__in=slugs).only("id", "slug"):
        attach_picture(product, catalogue.picture(rows[product.slug]))
        count += 1
    return count


class Command(BaseCommand):
    help = _(
        "Isi database kosong dengan katalog demo Balikpapan yang meyakinkan (usaha, produk, gambar). "
        "--products N menambah produk buatan sampai N untuk uji beban."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help=_("Benih acak; benih sama, data sama."))
        parser.add_argument(
            "--products",
            type=int,
            default=0,
            metavar="N",
            help=_("Jumlah produk seluruhnya (katalog dasar ditambah produk buatan tanpa gambar)."),
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=0,
            help=_("Jumlah proses untuk membuat gambar (bawaan: jumlah inti prosesor)."),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Isi juga bila database sudah berisi produk (baris demo disamakan menurut slug)."),
        )

    def handle(self, *args, seed, products, force, jobs, verbosity, **options):
        existing = Product.objects.count()
        if existing and not force:
            self.stdout.write(
                _("Database sudah berisi %(count)s produk; data demo tidak ditambahkan (pakai --force).")
                % {"count": existing}
            )
            return
        started = time.monotonic()
        catalogue = DemoCatalogue(seed)
        district_ids = dict(District.objects.values_list("slug", "id"))
        base_vendors, base_products = catalogue.vendors(), catalogue.products()
        missing = {row["district"] for row in base_vendors} - set(district_ids)
        if missing:
            raise CommandError(
                _("Data demo memerlukan kecamatan Balikpapan berikut: %(slugs)s.")
                % {"slugs": ", ".join(missing)}
            )
        extra = max(0, products - len(base_products))
        extra_vendors = -(-extra // PRODUCTS_PER_EXTRA_VENDOR)  # ceiling
        total = len(base_products) + extra

        vendors = (
            vendor_row(row, district_ids)
            for row in itertools.chain(base_vendors, map(catalogue.extra_vendor, range(extra_vendors)))
        )
        rows = itertools.chain(base_products, catalogue.extra_products(extra, extra_vendors))
        empty = not (existing or Vendor.objects.exists() or Category.objects.exists())

        with transaction.atomic(), indexes_built_after(Product) if empty else nullcontext():
            counts = write_catalogue(
                categories=catalogue.categories(),
                vendors=vendors,
                products=rows,
                match_existing=not empty,
                reindex=False,
                progress=self._progress(total, verbosity),
            )
            self._phase(verbosity, _("baris ditulis"), started)
            phase = time.monotonic()
            search.reindex()
            self._phase(verbosity, _("indeks pencarian"), phase)
        bump_catalogue_cache()
        # Pictures come after the commit: each goes through the upload
        # processing on its own, and worker processes can share the work.
        phase = time.monotonic()
        pictures = self._pictures(seed, base_products, jobs=jobs or os.cpu_count() or 1)
        bump_catalogue_cache()
        self._phase(verbosity, _("gambar"), phase)
        phase = time.monotonic()
        refresh_statistics()
        self._phase(verbosity, _("statistik (ANALYZE)"), phase)

        self.stdout.write(
            _(
                "Data demo (benih %(seed)s): %(categories)s kategori, %(vendors)s usaha, %(products)s produk "
                "baru, %(pictures)s gambar, dalam %(seconds).1f detik."
            )
            % {
                "seed": seed,
                "categories": counts["categories"].created,
                "vendors": counts["vendors"].created,
                "products": counts["products"].created,
                "pictures": pictures,
                "seconds": time.monotonic() - started,
            }
        )

    def _phase(self, verbosity, label, since):
        if verbosity >= 1:
            self.stderr.write(
                _("%(label)s: %(seconds).1f detik") % {"label": label, "seconds": time.monotonic() - since}
            )

    def _progress(self, total, verbosity):
        """Prints to stderr each time another tenth of the products is written."""
        if verbosity < 1 or total < 1000:
            return None
        shown = [0]

        def progress(done):
            tenth = done * 10 // total
            if tenth > shown[0]:
                shown[0] = tenth
                self.stderr.write(
                    _("Produk: %(percent)s%% (%(done)s dari %(total)s)")
                    % {"percent": tenth * 10, "done": f"{done:,}", "total": f"{total:,}"}
                )

        return progress

    def _pictures(self, seed, base_products, *, jobs):
        """A picture for each base product that has none (the generated
        products beyond the base set show the placeholder), drawn and
        attached by ``jobs`` worker processes when the database can be
        shared with them (not inside a transaction, e.g. in tests)."""
        rows = {row["slug"]: row for row in base_products}
        slugs = list(
            Product.objects.filter(slug__in=rows, images__isnull=True).values_list("slug", flat=True)
        )
        if jobs <= 1 or len(slugs) < 20 or connection.in_atomic_block:
            return attach_pictures(seed, slugs)
        chunks = [slugs[i :: jobs * 4] for i in range(jobs * 4)]
        connections.close_all()  # each worker opens its own connection
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            return sum(pool.map(attach_pictures, itertools.repeat(seed), chunks))
