"""The catalogue's filters: a FilterSet over the visible products, with facet
counts, active-filter chips and friendly messages for bad input.

    filterset = ProductFilter(request.GET, category=category)
    filterset.qs         # visible products, filtered and sorted, ready to paginate
    filterset.count()    # their number (cached)
    filterset.facets()   # counts per filter option (cached)

The form (ProductFilterForm) reads and corrects the GET parameters and never
rejects a request: bad values are dropped with a message in ``messages``.
Counts come from a search's cached table, or are summed from the
catalogue's cube (cube(), price_cube(): one GROUP BY per catalogue version
for every set of filters), or, for one vendor's products, from two GROUP BY
queries; all are cached under the catalogue version (products.cache), so a
cached page costs no aggregate query at all.
"""

import itertools
import re
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, namedtuple

import django_filters
from django import forms
from django.db.models import Case, Count, ExpressionWrapper, IntegerField, Q, Value, When
from django.db.models.functions import Cast, Coalesce
from django.http import QueryDict
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from umkm_directory.pagination import After, list_marks, reading
from umkm_directory.prepared import PreparedQuery

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


class _SharedFields(dict):
    """A form's fields, shared by its instances instead of deep-copied for
    each (Django copies them so that an instance may change its own; the
    catalogue's form never does, and the copy of its eleven fields cost more
    than the rest of reading the parameters)."""

    def __deepcopy__(self, memo):
        return dict(self)


ProductFilterForm.base_fields = _SharedFields(ProductFilterForm.base_fields)


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
        # The prepared page queries (page_ids()) start from all products.
        self._default_queryset = queryset is None
        if queryset is None:
            queryset = Product.objects.all()
        if data is None:
            data = QueryDict()
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.fixed_category = category

    def get_form_class(self):
        # No filter is declared (the form is the whole interface): the form
        # class itself, not the new subclass django-filter builds per request.
        return self._meta.form

    @property
    def queryset(self):
        """The starting set under the visibility rule (built when first asked:
        a page served by prepared queries never needs it)."""
        if self._visible is None:
            self._visible = self._starting_set.visible()
        return self._visible

    @queryset.setter
    def queryset(self, queryset):
        self._starting_set, self._visible = queryset, None

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

    def _filters(self, *, without=None):
        """The active filters except ``without`` as (shape, values): the shape
        says which filters are set and how (hashable, the same for every
        request filtering the same way), the values what they compare with.
        ``_apply()`` turns them into a QuerySet; the search text is apart."""
        params = self._resolved.params
        shape, values = [], {}
        for name in ("scope", "category"):
            ids = params[name]
            if ids is None or name == without:
                continue
            if not ids:  # an unknown category: nothing matches
                return (("nothing", None),), {}
            # A category with subcategories through top_category (one index
            # per sort order), otherwise by its id.
            shape.append((name, "top" if len(ids) > 1 else "one"))
            values[name] = ids[0]
        for name in ("district", "vendor", "price_min", "price_max"):
            if params[name] is not None and name != without:
                shape.append((name, None))
                values[name] = params[name]
        if params["cert"]:
            shape.append(("cert", tuple(params["cert"])))
        for name in ("export_ready", "in_stock"):
            if params[name]:
                shape.append((name, None))
        return tuple(shape), values

    def _filtered(self, *, without=None):
        """The visible products under every active filter except ``without``."""
        qs = _apply(self.queryset, *self._filters(without=without))
        if self._resolved.params["q"] is not None:
            qs = search.matching(qs, self._resolved.text)
        return qs

    def filter_queryset(self, queryset):
        return self._filtered().order_by(*SORT_ORDER[self.sort])

    @property
    def qs(self):
        """The visible products, filtered and sorted, ready to paginate."""
        if not hasattr(self, "_qs"):
            self._qs = self.filter_queryset(self.queryset)
        return self._qs

    def page_ids(self, offset, limit):
        """The ids of ``limit`` results from ``offset``, in the sort order, as
        ``qs`` would give them, cheaply: a search's from its cached table
        (no query), other lists by one query compiled once per shape (which
        filters, which sort order) and process (umkm_directory.prepared).

        A page nearer the end of the list is read from the end, in the
        reverse order, and turned round: at 1,000,000 products page 37,000
        of 37,960 skipped 888,000 index entries first (128 ms), now 23,000
        (2.7 ms). A page in the middle of a long list starts from the
        nearest of the list's marks, its every thousandth row, found once
        per catalogue version (umkm_directory.pagination.reading())."""
        if self._resolved.params["q"] is not None:
            return self._search_results.ids[offset : offset + limit]
        if not self._default_queryset:
            return list(self.qs.values_list("pk", flat=True)[offset : offset + limit])
        shape, values = self._filters()
        if shape and shape[0][0] == "nothing":
            return []

        def marks():
            listed = _listed(self.sort, shape, values)
            key = [self.sort, shape, values]
            # Found once for every process after an edit, as the cube is.
            return cache.get_or_compute("list-marks", lambda: list_marks(listed), key, once=True)

        # The count is the cached one the page shows.
        read = reading(self.count(), offset, limit, marks)
        after = {} if read.after is None else {"after": read.after}
        ids = LIST_IDS.fetch(
            shape=(self.sort, shape, read.backwards, bool(after)),
            limit=read.limit,
            offset=read.offset,
            **values,
            **after,
        )
        return ids[::-1] if read.backwards else ids

    # --- a search: filtered, counted and sorted in its cached table -------

    @cached_property
    def _search_results(self):
        """A search's results (ids in the sort order) and counts, from the
        search's table (search_table(): its candidates' columns, cached per
        search text): the same rows, order and counts as ``qs`` and the
        GROUP BY queries would give, for no query once the table is cached
        (sorted by name, once its name order is too: search_name_ranks())."""
        params = self._resolved.params
        table = search_table(self._resolved.text)
        category, district_of, vendor_of = table.category, table.district, table.vendor
        price, bits = table.price, table.bits
        required = 0
        for name in (*params["cert"], *(f for f in ("export_ready", "in_stock") if params[f])):
            required |= CUBE_BITS[name]
        # The rows every count obeys (all filters but category and district),
        # one pass a filter set, over what the filters before it kept: a
        # loop testing every filter on every row cost a search at 1,000,000
        # products 0.15 ms against 0.10 this way (bench texts, in-process;
        # docs/performance-history.md, seventeenth session). Rows keep the
        # table's order, oldest first.
        rows = range(len(table.ids))
        if params["scope"] is not None:
            scope = set(params["scope"])
            rows = [i for i in rows if category[i] in scope]
        if params["vendor"] is not None:
            vendor = params["vendor"]
            rows = [i for i in rows if vendor_of[i] == vendor]
        if params["price_min"] is not None:
            low = params["price_min"]
            rows = [i for i in rows if price[i] >= low]
        if params["price_max"] is not None:
            high = params["price_max"]
            rows = [i for i in rows if price[i] <= high]
        if required:
            rows = [i for i in rows if bits[i] & required == required]
        # Each facet counts the rows of the other facet's choice.
        district = params["district"]
        in_district = rows if district is None else [i for i in rows if district_of[i] == district]
        in_category = rows
        if params["category"] is not None:
            chosen = set(params["category"])
            in_category = [i for i in rows if category[i] in chosen]
        kept = in_category if district is None else [i for i in in_category if district_of[i] == district]
        kept = list(kept)  # a copy of its own: sorted in place below
        by_category = dict(Counter(map(category.__getitem__, in_district)))
        by_district = dict(Counter(map(district_of.__getitem__, in_category)))
        # Kept rows counted by their flag bits, spread over the flags once
        # at the end: a loop over the flags for each kept row cost a search
        # without filters a third of its time here.
        by_bits = Counter(map(bits.__getitem__, kept))
        totals = dict.fromkeys(["total", *CUBE_BITS], 0)
        totals["total"] = len(kept)
        for flags, count in by_bits.items():
            for name, bit in CUBE_BITS.items():
                if flags & bit:
                    totals[name] += count
        # SORT_ORDER's keys, the last first: Python's sort is stable (also
        # reversed), so sorting by each key in turn gives the SQL order, with
        # a column's own __getitem__ as the key instead of a tuple a row
        # (a third of the time). ``kept`` is in the table's order, oldest
        # first (created_at, id): reversed, it is newest first.
        ids, tier = table.ids, table.tier
        if self.sort in ("relevance", "newest"):
            kept.reverse()
        if self.sort == "name":
            keys = [(search_name_ranks(self._resolved.text, table), False)] if kept else []
        else:
            keys = {
                "relevance": [(tier, True)],
                "newest": [],
                "price_asc": [(ids, False), (price, False)],
                "price_desc": [(ids, True), (price, True)],
            }[self.sort]
        for column, reverse in keys:
            kept.sort(key=column.__getitem__, reverse=reverse)
        counts = {"totals": totals, "category": by_category, "district": by_district, "capped": table.capped}
        return SearchResults([ids[i] for i in kept], counts)

    # --- counting ---------------------------------------------------------

    @cached_property
    def _aggregates(self):
        """Counts for this set of filters: a search's from its table, else
        from the cache, else from the catalogue's cube (price_cube() with a
        price range) unless a vendor is chosen, else (a vendor's few
        products) from two GROUP BY queries (one per disjunctive facet:
        category, district)."""
        params = self._resolved.params
        if params["q"] is not None:
            return self._search_results.aggregates
        compute = self._compute_aggregates
        if params["vendor"] is None:
            compute = self._aggregates_from_cube
        return cache.get_or_compute("filter-counts", compute, params)

    def _aggregates_from_cube(self):
        """The same counts as _compute_aggregates, summed from cube() cells,
        or from price_cube() cells when a price range is set."""
        params = self._resolved.params
        low, high = params["price_min"], params["price_max"]
        cells = cube() if low is None and high is None else price_cube().cells(low, high)
        scope = None if params["scope"] is None else set(params["scope"])
        chosen = None if params["category"] is None else set(params["category"])
        district = params["district"]
        required = 0
        for name in (*params["cert"], *(f for f in ("export_ready", "in_stock") if params[f])):
            required |= CUBE_BITS[name]
        totals = dict.fromkeys(["total", *CUBE_BITS], 0)
        by_category, by_district = {}, {}
        for category_id, district_id, bits, count in cells:
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
            "capped": False,
        }

    def count(self):
        """The number of results (cached under the catalogue version)."""
        return self._aggregates["totals"]["total"]

    @property
    def capped(self):
        """True when the search text matches more products than a search
        considers: the counts are then a lower bound ("612+")."""
        return self._aggregates.get("capped", False)

    def count_label(self):
        """The number of results for the page: "1.234", or "612+" when capped."""
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
# The product columns cube() reads: the visibility rule's, its keys' and
# its flags' (flag_bits()). An edit changing none of them changes no count.
CUBE_COLUMNS = (
    "status",
    "category_visible",
    "vendor_active",
    "category_id",
    "district_id",
    "availability",
    *CERTIFICATIONS,
    "export_ready",
)


def cube():
    """The visible catalogue counted by (category, district, flags): a list
    of (category_id, district_id, bits, count) cells, one GROUP BY over the
    visible products (the district is the product's copy of its vendor's,
    so no vendor is joined), cached under the version of the counts
    (cache.counts_version()), which only edits that may change a count move.

    Its size depends on the number of categories and districts, not of
    products; every count of a request without search text, vendor or price
    (category pages, districts, certifications, sort orders, deep pages) is
    summed from it, so those pages cost no aggregate query at all (with a
    price range: price_cube()). After such an edit, one process computes
    it while the others wait for it (``once``)."""

    def compute():
        return [tuple(row) for row in _counted("category_id", "district_id", "bits").order_by()]

    return cache.get_or_compute("cube", compute, once=True, catalogue_version=cache.counts_version())


def _counted(*keys):
    """The visible products counted by ``keys`` (columns, or ``bits``: the
    flags as flag_bits()), one row of the keys and the count per group:
    the rows of cube() and price_cube()."""
    return Product.objects.visible().annotate(bits=flag_bits()).values_list(*keys).annotate(count=Count("pk"))


class PriceCube(namedtuple("PriceCube", "groups prices upto")):
    """The visible catalogue counted by (category, district, flags) as
    cube() counts it, and within each cell by price: ``groups`` holds a
    (category_id, district_id, bits, start, end) a cell, ``prices[start:end]``
    the cell's distinct prices in ascending order, ``upto[i]`` how many of
    the cell's products cost ``prices[i]`` or less. Any price range is then
    two bisections a cell, whatever the number of products."""

    __slots__ = ()

    def cells(self, low=None, high=None):
        """(category_id, district_id, bits, count) for the products priced
        from ``low`` to ``high`` (both included, None: no bound), as cube()
        gives them for all prices; cells without such products left out."""
        prices, upto = self.prices, self.upto
        for category_id, district_id, bits, start, end in self.groups:
            above = end if high is None else bisect_right(prices, high, start, end)
            below = start if low is None else bisect_left(prices, low, start, end)
            if above > below:
                count = upto[above - 1] - (upto[below - 1] if below > start else 0)
                yield category_id, district_id, bits, count


def price_cube():
    """The PriceCube of the visible catalogue: one GROUP BY over the visible
    products, as cube()'s with the price as a fourth key, cached under the
    catalogue version and computed once for all processes after an edit.

    Its size depends on the categories, districts and distinct prices (a few
    hundred in the demo data, tens of thousands of cells at 1,000,000
    products), not on the number of products: a price filter's counts cost
    two bisections per cell of cube() instead of two GROUP BY queries over
    every product in the range (0.1-0.9 s each at 1,000,000 products;
    docs/performance.md, fourteenth session)."""

    def compute():
        # In the order of an index (category, price): PostgreSQL groups the
        # rows as it reads them, sorting only each (category, price) run by
        # district and flags, where grouping by the cell first sorted every
        # product on disk (0.7 s against 1.5 s at 1,000,000 products). Read
        # whole, not through a server-side cursor (iterator()): PostgreSQL
        # plans those without parallel workers.
        keys = ("category_id", "price", "district_id", "bits")
        rows = _counted(*keys).order_by(*keys)
        by_cell = {}  # each cell's prices, in ascending order, and their counts
        for category_id, price, district_id, bits, count in rows:
            cell = by_cell.get((category_id, district_id, bits))
            if cell is None:
                cell = by_cell[category_id, district_id, bits] = ([], [])
            cell[0].append(price)
            cell[1].append(count)
        groups, prices, upto = [], array("q"), array("q")
        for (category_id, district_id, bits), (cell_prices, counts) in by_cell.items():
            start = len(prices)
            prices.extend(cell_prices)
            upto.extend(itertools.accumulate(counts))
            groups.append((category_id, district_id, bits, start, len(prices)))
        return PriceCube(groups, prices, upto)

    return cache.get_or_compute("price-cube", compute, once=True)


def flag_bits():
    """An SQL expression: the CUBE_BITS of a product's flags (certifications,
    export_ready, availability), one integer per row, so the cube groups by
    it and a search's table reads it without per-row conversions."""
    bits = Case(When(availability=Availability.READY, then=Value(CUBE_BITS["in_stock"])), default=Value(0))
    for name in (*CERTIFICATIONS, "export_ready"):
        bits = bits + Cast(name, IntegerField()) * Value(CUBE_BITS[name])
    return ExpressionWrapper(bits, output_field=IntegerField())


def _apply(queryset, shape, values):
    """``queryset`` under the filters of ``shape`` with these ``values``
    (ProductFilter._filters()); the one place a filter becomes SQL."""
    for name, how in shape:
        if name == "nothing":
            return queryset.none()
        if name in ("scope", "category"):
            if how == "top":  # the category and its subcategories, through top_category
                queryset = queryset.in_top_category(values[name])
            else:
                queryset = queryset.filter(category_id=values[name])
        elif name == "district":
            queryset = queryset.in_district(values[name])
        elif name == "vendor":
            queryset = queryset.filter(vendor_id=values[name])
        elif name == "price_min":
            queryset = queryset.filter(price__gte=values[name])
        elif name == "price_max":
            queryset = queryset.filter(price__lte=values[name])
        elif name == "cert":
            queryset = queryset.with_certification(*how)
        elif name == "export_ready":
            queryset = queryset.filter(export_ready=True)
        elif name == "in_stock":
            queryset = queryset.filter(availability=Availability.READY)
    return queryset


def _listed(sort, filters, values):
    """The visible products under ``filters`` (a shape of _filters()) with
    these ``values``, in ``sort`` order: a list without search text."""
    return _apply(Product.objects.visible(), filters, values).order_by(*SORT_ORDER[sort])


def _list_page(shape, *, after=None, **values):
    """A page of a list without search text, by shape: its sort order, its
    filters, whether the order is reversed (a page read from the end) and
    whether it starts after a row (``after``, the pk of a mark: a page in
    the middle of a long list; umkm_directory.pagination.reading()). Every
    sort order ends with the id, so the reverse order is exactly the order
    backwards."""
    sort, filters, backwards, marked = shape
    queryset = _listed(sort, filters, values)
    if marked:
        queryset = queryset.filter(After(SORT_ORDER[sort], after))
    return (queryset.reverse() if backwards else queryset).values_list("pk", flat=True)


# Compiled once per shape and process (ProductFilter.page_ids()).
LIST_IDS = PreparedQuery(_list_page)


SearchResults = namedtuple("SearchResults", "ids aggregates")


class SearchTable(namedtuple("SearchTable", "ids category district vendor price bits tier capped")):
    """A search's candidates (products.search.find_candidates(), read with
    find_columns()), the visible ones, with what filtering, counting and
    sorting them needs, one array per column (compact to cache, quick to
    read), in (created_at, id) order, so that a row's index is its rank
    from the oldest: ``bits`` the CUBE_BITS of the flags, ``tier`` the
    ranking tier (3 every word in the name, 1 some, 0 elsewhere),
    ``capped`` whether the text matched more products than a search
    considers. Their order by name is apart (search_name_ranks())."""

    __slots__ = ()

    @classmethod
    def empty(cls, capped=False):
        """The table of a search that found nothing visible."""
        return cls(*[array("q") for _ in range(5)], array("B"), array("B"), capped)


# A search's candidates' columns, in the table's order: (created_at, id),
# which the sort a new text's rows need anyway gives. Not by name: the
# database's collation compares names a few times slower than numbers, and
# that sort cost a new text at 1,000,000 products a third of its rows'
# time, for an order few searches ask (search_name_ranks(); docs/performance-history.md,
# tenth session).
SEARCH_ROWS = PreparedQuery(
    lambda ids: (
        Product.objects.visible()
        .filter(pk__among=ids)
        .annotate(
            bits=flag_bits(),
            # 0 for none, as the table's integer arrays hold it.
            district_key=Coalesce("district_id", 0),
        )
        .order_by("created_at", "id")
        .values_list("id", "category_id", "district_key", "vendor_id", "price", "bits")
    )
)

# A search's rows in SORT_ORDER["name"], the order only the database's
# collation gives.
NAME_ORDER = PreparedQuery(
    lambda ids: (
        Product.objects.visible()
        .filter(pk__among=ids)
        .order_by(*SORT_ORDER["name"])
        .values_list("id", flat=True)
    )
)


def search_table(text):
    """The SearchTable of ``text`` (one query on PostgreSQL, the candidates
    and their columns together; two on SQLite), cached under the catalogue
    version."""
    words = search.tokens(text)
    if not words:  # nothing to look for: nothing found
        return SearchTable.empty()

    def compute():
        # Not search.candidates(): the table is what is cached; storing the
        # candidates too cost one more cache read and write a new text.
        found = search.find_columns(words, SEARCH_ROWS)
        if not found.columns:
            return SearchTable.empty(found.capped)
        *numbers, bits = found.columns
        columns = [array("q", column) for column in numbers]
        columns.append(array("B", bits))
        name_all, name_some = set(found.name_all), set(found.name_some)
        tiers = (3 if pk in name_all else 1 if pk in name_some else 0 for pk in columns[0])
        columns.append(array("B", tiers))
        return SearchTable(*columns, found.capped)

    # The key names the table's layout: a table cached by code that laid it
    # out otherwise (by name, with a ``created`` column, until the tenth
    # session) is never read after a deploy.
    return cache.get_or_compute("search-rows", compute, words)


def search_name_ranks(text, table):
    """Each row's place in name order, for the rows of ``text``'s
    SearchTable ``table``: one query the first time a search of that text
    is sorted by name, then cached beside the table, under the same
    version. A row the query no longer finds goes last, in the table's
    order."""
    words = search.tokens(text)

    def compute():
        ordered = NAME_ORDER.fetch(ids=search.id_param(table.ids))
        place = {pk: index for index, pk in enumerate(ordered)}
        last = len(place)
        return array("q", (place.get(pk, last + index) for index, pk in enumerate(table.ids)))

    ranks = cache.get_or_compute("search-names", compute, words)
    # Both are cached under the same version, from the same rows; should
    # they ever disagree (one evicted and read again), the page still works.
    return ranks if len(ranks) == len(table.ids) else compute()


def _with_children(category_id, tree):
    """The id of a category and of its visible subcategories."""
    return [category_id] + [c.id for c in tree if c.parent_id == category_id]
