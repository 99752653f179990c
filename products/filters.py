"""The catalogue's filters: a FilterSet over the visible products, with facet
counts, active-filter chips and friendly messages for bad input.

    filterset = ProductFilter(request.GET, category=category)
    filterset.qs         # visible products, filtered and sorted, ready to paginate
    filterset.count()    # their number (cached)
    filterset.facets()   # counts per filter option (cached)

The form (ProductFilterForm) reads and corrects the GET parameters and never
rejects a request: bad values are dropped with a message in ``messages``.
Counts are computed by two GROUP BY queries per distinct set of filters
(whatever the sort or the page) and cached under the catalogue version
(products.cache), so a cached page costs no aggregate query at all.
"""

import re
from collections import namedtuple

import django_filters
from django import forms
from django.db.models import Count, Q
from django.http import QueryDict
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import cache, search
from .models import Availability, Certification, Product
from .templatetags.catalogue import number, rupiah

FacetOption = namedtuple("FacetOption", "value label count selected")
# The parameters as the queries use them: ids instead of slugs, None when unused.
Resolved = namedtuple("Resolved", "params labels messages sort text")

SORT_CHOICES = [
    ("relevance", gettext_lazy("Paling relevan")),
    ("newest", gettext_lazy("Terbaru")),
    ("price_asc", gettext_lazy("Harga terendah")),
    ("price_desc", gettext_lazy("Harga tertinggi")),
    ("name", gettext_lazy("Nama (A–Z)")),
]
# A unique last key keeps pages stable; each order has an index (see
# migration 0003 and Product.Meta.indexes).
SORT_ORDER = {
    "relevance": ("-search_rank", "-created_at", "-id"),
    "newest": ("-created_at", "-id"),
    "price_asc": ("price", "id"),
    "price_desc": ("-price", "-id"),
    "name": ("name", "id"),
}
CERTIFICATIONS = [c.value for c in Certification]
# Above any real price and within a 64-bit integer column.
MAX_PRICE = 10**13
RUPIAH = re.compile(r"^(\d+|\d{1,3}([.,]\d{3})+)$")


def _truthy(value):
    return forms.BooleanField().to_python(value)


class FlagInput(forms.CheckboxInput):
    """A checkbox sending "1"; "0", "false" or nothing mean off (Django's own
    CheckboxInput would read "0" as on)."""

    def __init__(self, attrs=None):
        super().__init__({"value": "1", **(attrs or {})}, check_test=_truthy)

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class LenientMultipleChoiceField(forms.MultipleChoiceField):
    """Checkboxes whose unknown values are dropped (by the form) rather than
    failing the field."""

    def to_python(self, value):
        return super().to_python([value] if isinstance(value, str) else value)

    def validate(self, value):
        pass


class ProductFilterForm(forms.Form):
    """The catalogue's GET form. Cleaning never fails: a bad value becomes
    None (or is dropped) and a message for the shopper goes to ``notices``."""

    q = forms.CharField(
        label=gettext_lazy("Cari produk"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "maxlength": search.MAX_TEXT_LENGTH}),
    )
    category = forms.CharField(label=gettext_lazy("Kategori"), required=False)
    district = forms.CharField(label=gettext_lazy("Kecamatan"), required=False)
    vendor = forms.CharField(label=gettext_lazy("Usaha"), required=False, widget=forms.HiddenInput)
    price_min = forms.CharField(
        label=gettext_lazy("Harga terendah (Rp)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    price_max = forms.CharField(
        label=gettext_lazy("Harga tertinggi (Rp)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    cert = LenientMultipleChoiceField(
        label=gettext_lazy("Sertifikasi"),
        required=False,
        choices=Certification.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    export_ready = forms.BooleanField(label=gettext_lazy("Siap ekspor"), required=False, widget=FlagInput)
    in_stock = forms.BooleanField(label=gettext_lazy("Stok tersedia"), required=False, widget=FlagInput)
    sort = forms.CharField(
        label=gettext_lazy("Urutkan"), required=False, widget=forms.Select(choices=SORT_CHOICES)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.notices = []

    def full_clean(self):
        self.notices = []
        super().full_clean()

    def clean_q(self):
        text = self.cleaned_data["q"]
        if len(text) > search.MAX_TEXT_LENGTH:
            self.notices.append(_("Kata pencarian terlalu panjang; hanya bagian awalnya yang dipakai."))
            text = text[: search.MAX_TEXT_LENGTH]
        return text

    def _clean_price(self, name, message):
        raw = self.cleaned_data[name].strip()
        if not raw:
            return None
        digits = raw.removeprefix("Rp").removeprefix("rp").strip()
        if digits.startswith("-") and RUPIAH.match(digits[1:]):
            self.notices.append(_("Harga tidak boleh negatif; saringan harga itu diabaikan."))
            return None
        if not RUPIAH.match(digits):
            self.notices.append(message)
            return None
        value = int(re.sub(r"[.,]", "", digits))
        if value > MAX_PRICE:
            self.notices.append(_("Harga terlalu besar; saringan harga itu diabaikan."))
            return None
        return value

    def clean_price_min(self):
        return self._clean_price("price_min", _("Harga terendah harus berupa angka bulat, misalnya 10000."))

    def clean_price_max(self):
        return self._clean_price("price_max", _("Harga tertinggi harus berupa angka bulat, misalnya 50000."))

    def clean_cert(self):
        chosen = self.cleaned_data["cert"]
        known = [code for code in CERTIFICATIONS if code in chosen]
        if len(known) != len(set(chosen)):
            self.notices.append(_("Sertifikasi yang tidak dikenal diabaikan."))
        return known

    def clean_sort(self):
        sort = self.cleaned_data["sort"]
        if sort and sort not in SORT_ORDER:
            self.notices.append(_("Urutan yang diminta tidak dikenal; memakai urutan bawaan."))
            return ""
        return sort

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("price_min"), cleaned.get("price_max")
        if low is not None and high is not None and low > high:
            self.notices.append(_("Harga terendah lebih besar dari harga tertinggi; keduanya ditukar."))
            cleaned["price_min"], cleaned["price_max"] = high, low
        return cleaned


class ProductFilter(django_filters.FilterSet):
    """The visible products filtered by the catalogue's GET parameters.

    ``queryset`` is the starting set (all products by default); the
    visibility rule is always applied to it. ``category`` is the fixed
    category of a /categories/<slug>/ page: the results stay inside it (and
    its subcategories) and the ``category`` parameter picks one of its
    subcategories.
    """

    class Meta:
        form = ProductFilterForm

    def __init__(self, data=None, queryset=None, *, category=None, request=None, prefix=None):
        if queryset is None:
            queryset = Product.objects.all()
        if data is None:
            data = QueryDict()
        super().__init__(data, queryset.visible(), request=request, prefix=prefix)
        self.fixed_category = category

    # --- reading the parameters -------------------------------------------

    @cached_property
    def _resolved(self):
        """The cleaned parameters, with slugs resolved to ids (cached lookups)."""
        form = self.form
        form.is_valid()  # never False for a value we use: see ProductFilterForm
        data = {name: form.cleaned_data.get(name) for name in form.fields}
        messages = list(form.notices)
        for errors in form.errors.values():  # e.g. a NUL character
            messages.extend(errors)

        tree = cache.categories()
        by_slug = {c.slug: c for c in tree}
        params = {
            "scope": None,
            "q": None,
            "category": None,
            "district": None,
            "vendor": None,
            "price_min": data["price_min"],
            "price_max": data["price_max"],
            "cert": data["cert"] or [],
            "export_ready": bool(data["export_ready"]),
            "in_stock": bool(data["in_stock"]),
        }
        labels = {}

        if self.fixed_category is not None:
            params["scope"] = _with_children(self.fixed_category.pk, tree)

        text = (data["q"] or "").strip()
        if text:
            params["q"] = search.tokens(text)
            if not params["q"]:
                messages.append(_("Kata pencarian tidak berisi huruf atau angka, jadi tidak ada yang cocok."))

        slug = (data["category"] or "").strip()
        if slug:
            found = by_slug.get(slug)
            if found and self.fixed_category is not None and found.parent_id != self.fixed_category.pk:
                found = None
            if self.fixed_category is not None and slug == self.fixed_category.slug:
                pass  # the category of the page itself: nothing to narrow
            elif found:
                params["category"] = _with_children(found.id, tree)
                labels["category"] = found.name
            else:
                params["category"] = []
                messages.append(_("Kategori “%(slug)s” tidak ditemukan.") % {"slug": slug[:60]})

        slug = (data["district"] or "").strip()
        if slug:
            found = next((d for d in cache.districts() if d.slug == slug), None)
            params["district"] = found.id if found else 0
            if found:
                labels["district"] = found.name
            else:
                messages.append(_("Kecamatan “%(slug)s” tidak ditemukan.") % {"slug": slug[:60]})

        slug = (data["vendor"] or "").strip()
        if slug:
            found = cache.vendor(slug)
            params["vendor"] = found.id if found else 0
            if found:
                labels["vendor"] = found.name
            else:
                messages.append(_("Usaha “%(slug)s” tidak ditemukan.") % {"slug": slug[:60]})

        sort = data["sort"] or ""
        if sort == "relevance" and not params["q"]:
            sort = ""
        if not sort:
            sort = "relevance" if params["q"] else "newest"
        return Resolved(params, labels, messages, sort, text)

    @property
    def messages(self):
        """Friendly notes (Indonesian) about parameters that were ignored or corrected."""
        return self._resolved.messages

    @property
    def sort(self):
        """The effective sort order."""
        return self._resolved.sort

    # --- querying ---------------------------------------------------------

    def _filtered(self, *, without=None):
        """The visible products under every active filter except ``without``."""
        params, text = self._resolved.params, self._resolved.text
        qs = self.queryset
        if params["scope"] is not None:
            qs = _in_categories(qs, params["scope"])
        if params["q"] is not None:
            qs = search.matching(qs, text)
        if params["category"] is not None and without != "category":
            qs = _in_categories(qs, params["category"])
        if params["district"] is not None and without != "district":
            qs = qs.in_district(params["district"])
        if params["vendor"] is not None:
            qs = qs.filter(vendor_id=params["vendor"])
        if params["price_min"] is not None:
            qs = qs.filter(price__gte=params["price_min"])
        if params["price_max"] is not None:
            qs = qs.filter(price__lte=params["price_max"])
        if params["cert"]:
            qs = qs.with_certification(*params["cert"])
        if params["export_ready"]:
            qs = qs.filter(export_ready=True)
        if params["in_stock"]:
            qs = qs.filter(availability=Availability.READY)
        return qs

    def filter_queryset(self, queryset):
        return self._filtered().order_by(*SORT_ORDER[self.sort])

    @property
    def qs(self):
        """The visible products, filtered and sorted, ready to paginate."""
        if not hasattr(self, "_qs"):
            self._qs = self.filter_queryset(self.queryset)
        return self._qs

    # --- counting ---------------------------------------------------------

    @cached_property
    def _aggregates(self):
        """Counts for this set of filters: from the cache, else from the
        catalogue cube when the filters allow, else from two GROUP BY
        queries (one per disjunctive facet: category, district)."""
        params = self._resolved.params
        compute = self._compute_aggregates
        if params["q"] is None and all(params[name] is None for name in ("vendor", "price_min", "price_max")):
            compute = self._aggregates_from_cube
        return cache.get_or_compute("filter-counts", compute, params)

    def _aggregates_from_cube(self):
        """The same counts as _compute_aggregates, summed from cube() cells."""
        params = self._resolved.params
        scope = None if params["scope"] is None else set(params["scope"])
        chosen = None if params["category"] is None else set(params["category"])
        district = params["district"]
        required = 0
        for name in (*params["cert"], *(f for f in ("export_ready", "in_stock") if params[f])):
            required |= CUBE_BITS[name]
        totals = dict.fromkeys(["total", *CUBE_BITS], 0)
        by_category, by_district = {}, {}
        for category_id, district_id, bits, count in cube():
            if (scope is not None and category_id not in scope) or bits & required != required:
                continue
            in_category = chosen is None or category_id in chosen
            in_district = district is None or district_id == district
            if in_district:
                by_category[category_id] = by_category.get(category_id, 0) + count
            if in_category:
                by_district[district_id] = by_district.get(district_id, 0) + count
            if in_category and in_district:
                totals["total"] += count
                for name, bit in CUBE_BITS.items():
                    if bits & bit:
                        totals[name] += count
        return {"totals": totals, "category": by_category, "district": by_district, "capped": False}

    def _compute_aggregates(self):
        flags = {code: Count("pk", filter=Q(**{code: True})) for code in CERTIFICATIONS}
        flags["export_ready"] = Count("pk", filter=Q(export_ready=True))
        flags["in_stock"] = Count("pk", filter=Q(availability=Availability.READY))
        by_category = {
            row.pop("category_id"): row
            for row in self._filtered(without="category")
            .values("category_id")
            .annotate(total=Count("pk"), **flags)
            .order_by()
        }
        by_district = dict(
            self._filtered(without="district")
            .values_list("district_id")
            .annotate(total=Count("pk"))
            .order_by()
        )
        # The results are the categories the category filter keeps.
        chosen = self._resolved.params["category"]
        rows = [row for pk, row in by_category.items() if chosen is None or pk in chosen]
        totals = {name: sum(row[name] for row in rows) for name in ["total", *flags]}
        return {
            "totals": totals,
            "category": {pk: row["total"] for pk, row in by_category.items()},
            "district": by_district,
            # Counted within a search's bounded candidate set (products.search).
            "capped": bool(self._resolved.params["q"]) and search.capped(self._resolved.text),
        }

    def count(self):
        """The number of results (cached under the catalogue version)."""
        return self._aggregates["totals"]["total"]

    @property
    def capped(self):
        """True when the search text matches more products than a search
        considers: the counts are then a lower bound ("1.000+")."""
        return self._aggregates.get("capped", False)

    def count_label(self):
        """The number of results for the page: "1.234", or "1.000+" when capped."""
        return number(self.count()) + ("+" if self.capped else "")

    def facets(self):
        """For each filter, its options with the number of results each would
        give together with the other active filters (0 when none)."""
        params = self._resolved.params
        aggregates = self._aggregates
        totals = aggregates["totals"]
        tree = cache.categories()

        if self.fixed_category is None:
            shown = [c for c in tree if c.parent_id is None]
        else:
            shown = [c for c in tree if c.parent_id == self.fixed_category.pk]
        chosen = set(params["category"] or [])
        categories = []
        for c in shown:
            ids = _with_children(c.id, tree)
            count = sum(aggregates["category"].get(pk, 0) for pk in ids)
            # Selected when the chosen category is this one or one of its subcategories.
            categories.append(FacetOption(c.slug, c.name, count, bool(chosen) and chosen <= set(ids)))
        districts = [
            FacetOption(d.slug, d.name, aggregates["district"].get(d.id, 0), d.id == params["district"])
            for d in cache.districts()
        ]
        return {
            "category": categories,
            "district": districts,
            "cert": [
                FacetOption(c.value, c.label, totals[c.value], c.value in params["cert"])
                for c in Certification
            ],
            "export_ready": FacetOption(
                "1", _("Siap ekspor"), totals["export_ready"], params["export_ready"]
            ),
            "in_stock": FacetOption("1", _("Stok tersedia"), totals["in_stock"], params["in_stock"]),
        }

    # --- active filters ---------------------------------------------------

    def chips(self):
        """One (label, querystring) per active filter (one per certification);
        the querystring is the current one without that filter (and without
        ``page``), starting with "?"."""
        params, labels, text = self._resolved.params, self._resolved.labels, self._resolved.text
        chips = []
        if text:
            chips.append((_("Cari: “%(q)s”") % {"q": text[:40]}, self._without("q")))
        for name, label in (
            ("category", _("Kategori: %(value)s")),
            ("district", _("Kecamatan: %(value)s")),
            ("vendor", _("Usaha: %(value)s")),
        ):
            if params[name] is not None:
                value = labels.get(name) or self.data.get(name, "")[:60]
                chips.append((label % {"value": value}, self._without(name)))
        if params["price_min"] is not None:
            chips.append(
                (_("Mulai %(price)s") % {"price": rupiah(params["price_min"])}, self._without("price_min"))
            )
        if params["price_max"] is not None:
            chips.append(
                (_("Sampai %(price)s") % {"price": rupiah(params["price_max"])}, self._without("price_max"))
            )
        for code in params["cert"]:
            chips.append((Certification(code).label, self._without("cert", code)))
        if params["export_ready"]:
            chips.append((_("Siap ekspor"), self._without("export_ready")))
        if params["in_stock"]:
            chips.append((_("Stok tersedia"), self._without("in_stock")))
        return chips

    def _without(self, name, value=None):
        """The querystring of the active filters (as cleaned) without one of them."""
        params, text = self._resolved.params, self._resolved.text
        query = QueryDict(mutable=True)
        if text:
            query["q"] = text
        for key in ("category", "district", "vendor"):
            if params[key] is not None:
                query[key] = self.data.get(key, "").strip()
        for key in ("price_min", "price_max"):
            if params[key] is not None:
                query[key] = str(params[key])
        query.setlist("cert", params["cert"])
        for key in ("export_ready", "in_stock"):
            if params[key]:
                query[key] = "1"
        if self.form.cleaned_data.get("sort"):
            query["sort"] = self.form.cleaned_data["sort"]
        if value is None:
            query.pop(name, None)
        else:
            query.setlist(name, [v for v in query.getlist(name) if v != value])
        return "?" + query.urlencode()


# The flags a product may have, as bits of a cube cell.
CUBE_BITS = {code: 1 << i for i, code in enumerate([*CERTIFICATIONS, "export_ready", "in_stock"])}


def cube():
    """The visible catalogue counted by (category, district, flags): a list
    of (category_id, district_id, bits, count) cells, one GROUP BY over the
    visible products (the district is the product's copy of its vendor's,
    so no vendor is joined), cached under the catalogue version.

    Its size depends on the number of categories and districts, not of
    products; every count of a request without search text, vendor or price
    (category pages, districts, certifications, sort orders, deep pages) is
    summed from it, so those pages cost no aggregate query at all."""

    def compute():
        rows = (
            Product.objects.visible()
            .values_list("category_id", "district_id", *CERTIFICATIONS, "export_ready", "availability")
            .annotate(count=Count("pk"))
            .order_by()
        )
        flag_bits = [CUBE_BITS[name] for name in (*CERTIFICATIONS, "export_ready")]
        cells = {}
        for category_id, district_id, *flags, availability, count in rows:
            bits = sum(bit for bit, on in zip(flag_bits, flags, strict=True) if on)
            if availability == Availability.READY:
                bits |= CUBE_BITS["in_stock"]
            key = (category_id, district_id, bits)
            cells[key] = cells.get(key, 0) + count
        return [(*key, count) for key, count in cells.items()]

    return cache.get_or_compute("cube", compute)


def _in_categories(queryset, ids):
    """``queryset`` within these categories (a list from _with_children): a
    top-level category with its subcategories through top_category (one
    index per sort order), otherwise by category id."""
    if len(ids) > 1:
        return queryset.in_top_category(ids[0])
    return queryset.filter(category_id__in=ids)


def _with_children(category_id, tree):
    """The id of a category and of its visible subcategories."""
    return [category_id] + [c.id for c in tree if c.parent_id == category_id]
