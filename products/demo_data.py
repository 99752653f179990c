"""The demo catalogue: a believable Balikpapan directory, deterministic for a seed.

``DemoCatalogue(seed)`` yields clean rows for ``products.importer.write_catalogue``
(categories, vendors, products, references by slug) and draws product pictures
with Pillow. The base catalogue is hand-written vendors with their products;
``extra_vendors``/``extra_products`` scale it up for benchmarks, with names
built from product kinds, flavours, sizes and vendor names so that search
words range from common ("amplang") to rare ("liberika").

Everything here is data and pure functions: no database access.
"""

import functools
import io
import itertools
import math
import random
from dataclasses import dataclass

from django.utils.text import slugify
from PIL import Image, ImageChops, ImageDraw, ImageFont

# --------------------------------------------------------------------------
# Categories: (slug, name, parent slug, description)
# --------------------------------------------------------------------------

CATEGORIES = [
    ("makanan-minuman", "Makanan & Minuman", None, "Camilan, kue, bumbu dan minuman olahan UMKM Balikpapan."),
    ("amplang-kerupuk", "Amplang & Kerupuk", "makanan-minuman", "Amplang, kerupuk dan keripik khas pesisir."),
    ("kue-roti", "Kue & Roti", "makanan-minuman", "Kue basah, kue kering dan roti rumahan."),
    ("lempok-manisan", "Lempok & Manisan", "makanan-minuman", "Lempok durian, dodol dan manisan buah."),
    ("sambal-bumbu", "Sambal & Bumbu", "makanan-minuman", "Sambal botolan, terasi dan bumbu instan."),
    ("olahan-laut", "Olahan Hasil Laut", "makanan-minuman", "Abon, ikan asin, ebi dan olahan ikan beku."),
    ("minuman", "Minuman", "makanan-minuman", "Kopi, teh, sirup dan minuman serbuk."),
    ("kerajinan", "Kerajinan", None, "Karya tangan perajin Balikpapan dan Kalimantan Timur."),
    ("manik-manik", "Manik-manik", "kerajinan", "Kalung, gelang dan tas manik bermotif Dayak."),
    ("anyaman-rotan", "Anyaman Rotan", "kerajinan", "Tas, keranjang dan perabot anyaman rotan."),
    ("ukiran-kayu", "Ukiran Kayu", "kerajinan", "Ukiran dan miniatur dari kayu ulin dan kayu lokal."),
    ("suvenir", "Suvenir", "kerajinan", "Cendera mata kecil bertema Balikpapan."),
    ("batik-fesyen", "Batik & Fesyen", None, "Batik bermotif lokal, tenun, sarung dan aksesoris."),
    ("batik-tulis-cap", "Batik Tulis & Cap", "batik-fesyen", "Kain dan busana batik motif khas Balikpapan."),
    ("tenun-sarung", "Tenun & Sarung", "batik-fesyen", "Sarung tenun Samarinda, ulap doyo dan selendang."),
    ("aksesoris", "Aksesoris", "batik-fesyen", "Tas, dompet dan pelengkap busana dari kain lokal."),
    ("kecantikan-kesehatan", "Kecantikan & Kesehatan", None, "Perawatan tubuh dan minuman herbal rumahan."),
    ("perawatan-tubuh", "Perawatan Tubuh", "kecantikan-kesehatan", "Sabun, lulur, pupur dan minyak alami."),
    ("jamu-herbal", "Jamu & Herbal", "kecantikan-kesehatan", "Jamu, madu kelulut dan rempah instan."),
    ("oleh-oleh-hampers", "Oleh-oleh & Hampers", None, "Paket oleh-oleh dan hampers siap kirim."),
    ("paket-oleh-oleh", "Paket Oleh-oleh", "oleh-oleh-hampers", "Paket pilihan untuk dibawa pulang."),
]
SUBCATEGORIES = [slug for slug, _name, parent, _description in CATEGORIES if parent]
TOP_OF = {slug: (parent or slug) for slug, _name, parent, _description in CATEGORIES}

# --------------------------------------------------------------------------
# Product kinds
# --------------------------------------------------------------------------

FOOD = ("halal", "pirt")


@dataclass(frozen=True)
class Kind:
    """A kind of product a UMKM makes, with its variants and sizes."""

    category: str
    name: str
    variants: tuple
    units: tuple  # (unit, price in rupiah)
    description: str
    certifications: tuple = ()
    export: bool = False


KINDS = [
    # Amplang & Kerupuk
    Kind(
        "amplang-kerupuk",
        "Amplang Ikan Tenggiri",
        ("Original", "Pedas", "Balado", "Keju", "Rumput Laut"),
        (("100 g", 18000), ("250 g", 38000), ("500 g", 72000)),
        "Amplang renyah dari daging ikan tenggiri segar dan tepung tapioka, rasa {variant}. "
        "Digoreng tanpa pengawet, cocok jadi oleh-oleh khas Balikpapan.",
        FOOD,
        True,
    ),
    Kind(
        "amplang-kerupuk",
        "Amplang Kuku Macan",
        ("Original", "Pedas Manis"),
        (("200 g", 30000), ("400 g", 55000)),
        "Amplang bentuk kuku macan yang gurih dan mengembang sempurna, rasa {variant}. "
        "Dibuat dari ikan pipih dan bandeng hasil nelayan setempat.",
        FOOD,
    ),
    Kind(
        "amplang-kerupuk",
        "Kerupuk Ikan Pipih Mentah",
        ("Tenggiri", "Bandeng", "Haruan"),
        (("250 g", 25000), ("500 g", 45000)),
        "Kerupuk mentah dari ikan {variant}, dijemur di bawah matahari pesisir. "
        "Goreng dengan minyak panas sampai mengembang.",
        FOOD,
    ),
    Kind(
        "amplang-kerupuk",
        "Kerupuk Udang",
        ("Original", "Bawang Putih"),
        (("250 g", 32000), ("500 g", 60000)),
        "Kerupuk udang dengan rasa udang yang kuat, varian {variant}. Siap goreng.",
        FOOD,
    ),
    Kind(
        "amplang-kerupuk",
        "Keripik Pisang Kepok",
        ("Original", "Balado", "Manis Gula Aren", "Cokelat"),
        (("150 g", 15000), ("300 g", 28000)),
        "Keripik pisang kepok tipis dan renyah, rasa {variant}. Pisang dari kebun petani Karang Joang.",
        FOOD,
    ),
    # Kue & Roti
    Kind(
        "kue-roti",
        "Bingka Kentang",
        ("Original", "Pandan", "Keju"),
        (("1 loyang", 55000), ("1/2 loyang", 30000)),
        "Bingka kentang lembut dengan aroma {variant}, resep Banjar turun-temurun. "
        "Tahan 2 hari di suhu ruang.",
        FOOD,
    ),
    Kind(
        "kue-roti",
        "Kue Lapis Legit",
        ("Original", "Prune", "Keju"),
        (("20 x 20 cm", 275000), ("10 x 20 cm", 145000)),
        "Lapis legit berlapis-lapis dengan mentega dan rempah pilihan, varian {variant}. "
        "Pesan 2 hari sebelumnya.",
        FOOD,
    ),
    Kind(
        "kue-roti",
        "Nastar Nanas",
        ("Original", "Keju", "Wisman"),
        (("toples 500 g", 95000), ("toples 250 g", 50000)),
        "Nastar lumer dengan selai nanas masak sendiri, varian {variant}.",
        FOOD,
    ),
    Kind(
        "kue-roti",
        "Kastengel Keju",
        ("Edam", "Cheddar"),
        (("toples 500 g", 105000),),
        "Kastengel renyah dengan keju {variant} yang melimpah.",
        FOOD,
    ),
    Kind(
        "kue-roti",
        "Bolu Gulung",
        ("Pandan", "Cokelat", "Keju", "Srikaya"),
        (("1 gulung", 60000),),
        "Bolu gulung lembut isi selai {variant}, dibuat setiap pagi.",
        FOOD,
    ),
    Kind(
        "kue-roti",
        "Roti Sisir Mentega",
        ("Original", "Gula Aren"),
        (("1 bungkus isi 10", 25000),),
        "Roti sisir empuk olesan mentega, rasa {variant}. Teman minum kopi pagi.",
        FOOD,
    ),
    Kind(
        "kue-roti",
        "Pia Durian",
        ("Durian", "Kacang Hijau"),
        (("1 kotak isi 10", 45000),),
        "Pia kulit berlapis isi {variant}, cocok untuk oleh-oleh.",
        FOOD,
    ),
    # Lempok & Manisan
    Kind(
        "lempok-manisan",
        "Lempok Durian",
        ("Asli", "Gula Aren"),
        (("250 g", 45000), ("500 g", 85000)),
        "Lempok dari durian lokal Kalimantan yang dimasak perlahan berjam-jam, varian {variant}. "
        "Legit, wangi dan tanpa pengawet.",
        FOOD,
        True,
    ),
    Kind(
        "lempok-manisan",
        "Dodol Rumput Laut",
        ("Original", "Nanas", "Stroberi"),
        (("250 g", 25000),),
        "Dodol kenyal dari rumput laut perairan Balikpapan, rasa {variant}.",
        FOOD,
    ),
    Kind(
        "lempok-manisan",
        "Manisan Kolang-kaling",
        ("Merah", "Hijau Pandan"),
        (("toples 500 g", 35000),),
        "Kolang-kaling manis segar warna {variant}, enak disajikan dingin.",
        FOOD,
    ),
    Kind(
        "lempok-manisan",
        "Selai Durian",
        ("Original",),
        (("botol 200 g", 40000),),
        "Selai durian {variant} tanpa pewarna, untuk roti dan kue.",
        FOOD,
    ),
    # Sambal & Bumbu
    Kind(
        "sambal-bumbu",
        "Sambal Terasi",
        ("Original", "Extra Pedas"),
        (("botol 150 ml", 25000), ("botol 250 ml", 38000)),
        "Sambal terasi ulek dengan cabai segar dan terasi udang Manggar, tingkat {variant}.",
        FOOD + ("bpom",),
    ),
    Kind(
        "sambal-bumbu",
        "Sambal Ikan Teri",
        ("Original", "Pedas"),
        (("botol 150 ml", 30000),),
        "Sambal teri renyah, rasa {variant}. Tahan 2 bulan tanpa pengawet.",
        FOOD + ("bpom",),
        True,
    ),
    Kind(
        "sambal-bumbu",
        "Sambal Bawang",
        ("Original", "Daun Jeruk"),
        (("botol 150 ml", 22000),),
        "Sambal bawang goreng garing dengan aroma {variant}.",
        FOOD,
    ),
    Kind(
        "sambal-bumbu",
        "Terasi Udang",
        ("Manggar", "Bakar"),
        (("100 g", 15000), ("250 g", 32000)),
        "Terasi udang rebon asli nelayan pesisir, jenis {variant}.",
        FOOD,
    ),
    Kind(
        "sambal-bumbu",
        "Bumbu Soto Banjar",
        ("Instan",),
        (("sachet 100 g", 18000),),
        "Bumbu soto Banjar {variant} dengan rempah lengkap: kayu manis, cengkih dan pala.",
        FOOD,
    ),
    # Olahan hasil laut
    Kind(
        "olahan-laut",
        "Abon Ikan Tenggiri",
        ("Original", "Pedas"),
        (("100 g", 35000), ("250 g", 80000)),
        "Abon ikan tenggiri berserat halus, rasa {variant}. Lauk praktis untuk bekal.",
        FOOD,
        True,
    ),
    Kind(
        "olahan-laut",
        "Ikan Asin",
        ("Jambal Roti", "Teri Nasi", "Peda"),
        (("250 g", 30000), ("500 g", 55000)),
        "Ikan asin {variant} hasil olahan kampung nelayan, kadar garam pas.",
        ("halal",),
    ),
    Kind(
        "olahan-laut",
        "Udang Kering Ebi",
        ("Super", "Kecil"),
        (("100 g", 40000),),
        "Ebi kering ukuran {variant}, bersih dan wangi untuk bumbu masakan.",
        ("halal",),
    ),
    Kind(
        "olahan-laut",
        "Bakso Ikan Beku",
        ("Tenggiri", "Kakap"),
        (("500 g", 45000),),
        "Bakso ikan {variant} beku tanpa pengawet, kenyal dan gurih.",
        FOOD,
    ),
    Kind(
        "olahan-laut",
        "Pempek Ikan Tenggiri",
        ("Paket Kapal Selam", "Paket Campur"),
        (("1 paket", 85000),),
        "Pempek ikan tenggiri {variant} lengkap dengan cuka pempek.",
        FOOD,
    ),
    # Minuman
    Kind(
        "minuman",
        "Kopi Robusta Kaltim",
        ("Bubuk", "Biji Sangrai"),
        (("200 g", 45000), ("500 g", 100000)),
        "Kopi robusta dari kebun Kalimantan Timur, disangrai sedang, dijual dalam bentuk {variant}.",
        FOOD + ("sni",),
        True,
    ),
    Kind(
        "minuman",
        "Kopi Liberika",
        ("Bubuk", "Biji Sangrai"),
        (("200 g", 60000),),
        "Kopi liberika beraroma buah nangka, bentuk {variant}. Panen petani Kariangau.",
        FOOD,
        True,
    ),
    Kind(
        "minuman",
        "Sirup Markisa",
        ("Original", "Tanpa Gula Tambahan"),
        (("botol 600 ml", 40000),),
        "Sirup markisa kental dari buah segar, varian {variant}.",
        FOOD + ("bpom",),
    ),
    Kind(
        "minuman",
        "Wedang Jahe Instan",
        ("Merah", "Emprit", "Serai Madu"),
        (("250 g", 28000),),
        "Serbuk wedang jahe {variant} instan dengan gula aren, hangat di badan.",
        FOOD,
    ),
    Kind(
        "minuman",
        "Teh Serai",
        ("Original", "Lemon"),
        (("20 kantong", 25000),),
        "Teh serai kering dalam kantong celup, rasa {variant}.",
        FOOD,
    ),
    # Manik-manik
    Kind(
        "manik-manik",
        "Kalung Manik",
        ("Motif Dayak Kenyah", "Motif Dayak Benuaq", "Motif Bahau"),
        (("1 buah", 150000),),
        "Kalung manik dirangkai tangan dengan {variant}, warna cerah khas Kalimantan.",
        (),
        True,
    ),
    Kind(
        "manik-manik",
        "Gelang Manik",
        ("Motif Burung Enggang", "Motif Pakis", "Warna Pelangi"),
        (("1 buah", 45000), ("set isi 3", 120000)),
        "Gelang manik {variant}, ukuran bisa disesuaikan.",
    ),
    Kind(
        "manik-manik",
        "Tas Manik",
        ("Motif Dayak", "Motif Enggang"),
        (("1 buah", 450000),),
        "Tas tangan berhias manik {variant}, dikerjakan sekitar dua minggu.",
        (),
        True,
    ),
    Kind(
        "manik-manik",
        "Gantungan Kunci Manik",
        ("Burung Enggang", "Beruang Madu"),
        (("1 buah", 15000), ("set isi 5", 65000)),
        "Gantungan kunci manik bentuk {variant}, oleh-oleh kecil yang berkesan.",
    ),
    # Anyaman rotan
    Kind(
        "anyaman-rotan",
        "Tas Rotan Bulat",
        ("Natural", "Cokelat Tua"),
        (("diameter 20 cm", 175000),),
        "Tas rotan bulat anyaman rapat warna {variant}, dengan lapisan kain batik di dalam.",
        (),
        True,
    ),
    Kind(
        "anyaman-rotan",
        "Anjat Rotan",
        ("Motif Kenyah", "Polos"),
        (("sedang", 250000), ("besar", 380000)),
        "Anjat, tas punggung anyaman rotan tradisional Dayak, {variant}.",
        (),
        True,
    ),
    Kind(
        "anyaman-rotan",
        "Keranjang Rotan",
        ("Parsel", "Cucian", "Buah"),
        (("1 buah", 85000),),
        "Keranjang rotan untuk {variant}, kuat dan awet.",
    ),
    Kind(
        "anyaman-rotan",
        "Kap Lampu Rotan",
        ("Bulat", "Lonceng"),
        (("diameter 40 cm", 220000),),
        "Kap lampu gantung anyaman rotan bentuk {variant}.",
        (),
        True,
    ),
    Kind(
        "anyaman-rotan",
        "Tempat Tisu Rotan",
        ("Natural", "Hitam"),
        (("1 buah", 65000),),
        "Tempat tisu anyaman rotan warna {variant}.",
    ),
    # Ukiran kayu
    Kind(
        "ukiran-kayu",
        "Plakat Ukiran Kayu Ulin",
        ("Motif Dayak", "Motif Pakis"),
        (("30 x 20 cm", 350000),),
        "Plakat ukiran kayu ulin {variant}, cocok untuk cendera mata resmi.",
        (),
        True,
    ),
    Kind(
        "ukiran-kayu",
        "Miniatur Perahu Kayu",
        ("Perahu Nelayan", "Kapal Pinisi"),
        (("panjang 40 cm", 275000),),
        "Miniatur {variant} dari kayu lokal, dicat tangan.",
    ),
    Kind(
        "ukiran-kayu",
        "Patung Beruang Madu",
        ("Kayu Ulin", "Kayu Jati"),
        (("tinggi 15 cm", 125000),),
        "Patung beruang madu, maskot Balikpapan, dari {variant}.",
    ),
    Kind(
        "ukiran-kayu",
        "Tatakan Gelas Kayu",
        ("Ukir Motif Dayak", "Polos"),
        (("set isi 6", 90000),),
        "Tatakan gelas kayu {variant}, dilapis pernis aman makanan.",
    ),
    # Suvenir
    Kind(
        "suvenir",
        "Magnet Kulkas Balikpapan",
        ("Beruang Madu", "Tugu Adipura", "Pantai Manggar"),
        (("1 buah", 15000), ("set isi 4", 50000)),
        "Magnet kulkas bergambar {variant}, cendera mata khas Balikpapan.",
    ),
    Kind(
        "suvenir",
        "Kaos Sablon Balikpapan",
        ("Beruang Madu", "Kota Minyak", "Pantai Kemala"),
        (("S", 85000), ("M", 85000), ("L", 90000), ("XL", 95000)),
        "Kaos katun combed 30s, sablon {variant}.",
        ("sni",),
    ),
    # Batik
    Kind(
        "batik-tulis-cap",
        "Kain Batik Tulis",
        ("Motif Kuntul Perak", "Motif Beruang Madu", "Motif Pesut", "Motif Daun Pakis"),
        (("2 m", 650000), ("2,25 m", 750000)),
        "Kain batik tulis {variant}, dikerjakan dengan canting dan pewarna alam. "
        "Setiap lembar berbeda sedikit karena dibuat tangan.",
        (),
        True,
    ),
    Kind(
        "batik-tulis-cap",
        "Kain Batik Cap",
        ("Motif Kuntul Perak", "Motif Beruang Madu", "Motif Kilang Minyak", "Motif Pantai Manggar"),
        (("2 m", 185000),),
        "Kain batik cap katun primisima {variant}, warna tahan luntur.",
        (),
        True,
    ),
    Kind(
        "batik-tulis-cap",
        "Kemeja Batik Pria",
        ("Motif Kuntul Perak", "Motif Pesut", "Motif Beruang Madu"),
        (("M", 225000), ("L", 225000), ("XL", 240000)),
        "Kemeja batik lengan panjang {variant}, bahan katun adem dengan furing.",
        (),
        True,
    ),
    Kind(
        "batik-tulis-cap",
        "Blus Batik Wanita",
        ("Motif Daun Pakis", "Motif Kuntul Perak"),
        (("M", 195000), ("L", 195000)),
        "Blus batik potongan modern {variant}.",
    ),
    Kind(
        "batik-tulis-cap",
        "Kain Sasirangan",
        ("Motif Gigi Haruan", "Motif Kulit Kayu", "Motif Bayam Raja"),
        (("2 m", 175000),),
        "Kain sasirangan jumputan {variant}, dicelup tangan.",
    ),
    # Tenun & sarung
    Kind(
        "tenun-sarung",
        "Sarung Tenun Samarinda",
        ("Motif Belang Hatta", "Motif Kotak Cacak", "Motif Jaring"),
        (("1 lembar", 350000),),
        "Sarung tenun gedogan {variant}, benang sutra campuran.",
        (),
        True,
    ),
    Kind(
        "tenun-sarung",
        "Kain Ulap Doyo",
        ("Motif Naga", "Motif Tangga Rumah"),
        (("1 lembar", 450000),),
        "Tenun ulap doyo dari serat daun doyo, {variant}, warisan Dayak Benuaq.",
        (),
        True,
    ),
    Kind(
        "tenun-sarung",
        "Selendang Tenun",
        ("Merah Marun", "Biru Laut", "Hijau Pupus"),
        (("1 lembar", 150000),),
        "Selendang tenun ringan warna {variant}.",
    ),
    # Aksesoris
    Kind(
        "aksesoris",
        "Tas Jinjing Batik",
        ("Motif Kuntul Perak", "Motif Beruang Madu"),
        (("1 buah", 125000),),
        "Tas jinjing kanvas berlapis kain batik {variant}.",
    ),
    Kind(
        "aksesoris",
        "Dompet Batik",
        ("Motif Pesut", "Motif Daun Pakis"),
        (("1 buah", 55000),),
        "Dompet kecil ritsleting dari sisa kain batik {variant}.",
    ),
    Kind(
        "aksesoris",
        "Bros Kain",
        ("Bunga Anggrek Hitam", "Beruang Madu"),
        (("1 buah", 25000),),
        "Bros kain bentuk {variant}, dijahit tangan.",
    ),
    Kind(
        "aksesoris",
        "Ikat Kepala Tenun",
        ("Merah", "Hitam"),
        (("1 buah", 45000),),
        "Ikat kepala tenun warna {variant}.",
    ),
    # Perawatan tubuh
    Kind(
        "perawatan-tubuh",
        "Sabun Batang Herbal",
        ("Serai Wangi", "Kopi", "Kunyit", "Madu Kelulut"),
        (("100 g", 25000),),
        "Sabun cold process dengan minyak kelapa dan {variant}, lembut di kulit.",
        ("bpom",),
        True,
    ),
    Kind(
        "perawatan-tubuh",
        "Lulur Bengkoang",
        ("Original", "Beras"),
        (("toples 200 g", 35000),),
        "Lulur bengkoang {variant} untuk kulit cerah dan halus.",
        ("bpom",),
    ),
    Kind(
        "perawatan-tubuh",
        "Pupur Dingin",
        ("Beras Kencur", "Temulawak"),
        (("1 bungkus", 15000),),
        "Pupur dingin khas Banjar {variant}, menyejukkan kulit wajah.",
        ("halal",),
    ),
    Kind(
        "perawatan-tubuh",
        "Minyak Kemiri",
        ("Original", "Lidah Buaya"),
        (("botol 100 ml", 30000),),
        "Minyak kemiri {variant} untuk rambut hitam berkilau.",
        ("bpom",),
    ),
    # Jamu & herbal
    Kind(
        "jamu-herbal",
        "Madu Kelulut",
        ("Hutan", "Akasia"),
        (("botol 250 ml", 120000), ("botol 500 ml", 220000)),
        "Madu kelulut (lebah tanpa sengat) {variant}, rasa asam manis yang khas.",
        ("halal",),
        True,
    ),
    Kind(
        "jamu-herbal",
        "Jamu Kunyit Asam",
        ("Original", "Sirih"),
        (("botol 350 ml", 15000), ("botol 1 liter", 40000)),
        "Jamu kunyit asam {variant} segar, dibuat setiap hari.",
        FOOD,
    ),
    Kind(
        "jamu-herbal",
        "Jahe Merah Instan",
        ("Original", "Temulawak"),
        (("250 g", 32000),),
        "Jahe merah instan {variant} dengan gula aren.",
        FOOD + ("bpom",),
    ),
    Kind(
        "jamu-herbal",
        "Teh Daun Sirsak",
        ("Original",),
        (("20 kantong", 30000),),
        "Teh herbal daun sirsak {variant} kering dalam kantong celup.",
        FOOD,
    ),
    # Paket oleh-oleh
    Kind(
        "paket-oleh-oleh",
        "Paket Oleh-oleh Balikpapan",
        ("Kecil", "Sedang", "Besar"),
        (("1 paket", 150000), ("1 paket besar", 300000)),
        "Paket {variant} berisi amplang, lempok durian, kerupuk dan kopi Kaltim dalam kotak motif batik.",
        ("halal",),
    ),
    Kind(
        "paket-oleh-oleh",
        "Hampers Kue Kering",
        ("Lebaran", "Natal", "Imlek"),
        (("1 hampers", 350000),),
        "Hampers {variant} isi empat toples kue kering dan kartu ucapan.",
        FOOD,
    ),
]
KINDS_BY_CATEGORY = {}
for _kind in KINDS:
    KINDS_BY_CATEGORY.setdefault(_kind.category, []).append(_kind)

# --------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------

# (street, kelurahan) by district: real-sounding Balikpapan addresses.
STREETS = {
    "balikpapan-barat": [
        ("Jl. Letjen Suprapto", "Baru Ilir"),
        ("Jl. Sultan Hasanuddin", "Baru Tengah"),
        ("Jl. Tanjung Pura", "Baru Ulu"),
        ("Jl. Ir. Sutami", "Marga Mulya"),
        ("Kampung Atas Air", "Margasari"),
        ("Jl. Kariangau", "Kariangau"),
    ],
    "balikpapan-kota": [
        ("Jl. Jenderal Sudirman", "Klandasan Ilir"),
        ("Jl. Wolter Monginsidi", "Klandasan Ulu"),
        ("Jl. Pangeran Antasari", "Telaga Sari"),
        ("Jl. Pranoto", "Prapatan"),
        ("Jl. Ahmad Yani", "Damai"),
    ],
    "balikpapan-selatan": [
        ("Jl. MT Haryono", "Damai Bahagia"),
        ("Jl. Marsma R. Iswahyudi", "Sepinggan"),
        ("Jl. Syarifuddin Yoes", "Sepinggan Baru"),
        ("Jl. Ruhui Rahayu", "Sungai Nangka"),
        ("Jl. Beller", "Gunung Bahagia"),
        ("Jl. Jenderal Sudirman", "Damai Baru"),
    ],
    "balikpapan-tengah": [
        ("Jl. Ahmad Yani", "Gunung Sari Ilir"),
        ("Jl. Mayjen Sutoyo", "Gunung Sari Ulu"),
        ("Jl. Pandan Sari", "Mekar Sari"),
        ("Jl. Letjen S. Parman", "Karang Jati"),
        ("Jl. Sidomulyo", "Karang Rejo"),
        ("Jl. Dahor", "Sumber Rejo"),
    ],
    "balikpapan-timur": [
        ("Jl. Mulawarman", "Manggar"),
        ("Jl. Proklamasi", "Manggar Baru"),
        ("Jl. Mulawarman", "Lamaru"),
        ("Jl. Mulawarman", "Teritip"),
    ],
    "balikpapan-utara": [
        ("Jl. Soekarno-Hatta Km 3", "Batu Ampar"),
        ("Jl. Soekarno-Hatta Km 6", "Graha Indah"),
        ("Jl. Indrakila", "Gunung Samarinda"),
        ("Jl. Soekarno-Hatta Km 12", "Karang Joang"),
        ("Jl. Mayjen Sutoyo", "Muara Rapak"),
        ("Jl. Pupuk Raya", "Gunung Samarinda Baru"),
    ],
}
DISTRICTS = list(STREETS)

# Indonesian mobile prefixes (after the leading 0): Telkomsel, Indosat, XL, Axis, Smartfren, Tri.
MOBILE_PREFIXES = (
    "811",
    "812",
    "813",
    "821",
    "822",
    "852",
    "853",
    "815",
    "857",
    "817",
    "819",
    "878",
    "838",
    "896",
)

# --------------------------------------------------------------------------
# The base vendors: (name, district, specialities, founded, story)
# --------------------------------------------------------------------------

VENDORS = [
    ("Amplang Bu Ani", "balikpapan-barat", ["amplang-kerupuk"], 2009, "dari dapur rumah di tepi laut"),
    (
        "Kerupuk Ikan Mama Ina",
        "balikpapan-barat",
        ["amplang-kerupuk", "olahan-laut"],
        2012,
        "bersama istri nelayan",
    ),
    ("Olahan Laut Margasari", "balikpapan-barat", ["olahan-laut"], 2015, "di kampung atas air Margasari"),
    ("Tenun Sarung Ibu Aminah", "balikpapan-barat", ["tenun-sarung"], 1998, "dengan alat tenun gedogan"),
    ("Abon Ikan Bu Hartini", "balikpapan-barat", ["olahan-laut"], 2016, "dari ikan segar pelelangan"),
    ("Sambal Teri Mak Inah", "balikpapan-barat", ["sambal-bumbu"], 2018, "dengan resep keluarga"),
    ("Lulur & Pupur Acil Nur", "balikpapan-barat", ["perawatan-tubuh"], 2014, "dari resep nenek asal Banjar"),
    ("Kopi Liberika Kariangau", "balikpapan-barat", ["minuman"], 2019, "bersama kelompok tani Kariangau"),
    ("Bingka & Wadai Acil Imah", "balikpapan-kota", ["kue-roti"], 2005, "menjual wadai Banjar sejak subuh"),
    (
        "Batik Kuntul Perak",
        "balikpapan-kota",
        ["batik-tulis-cap", "aksesoris"],
        2011,
        "mengangkat motif khas kota",
    ),
    (
        "Oleh-oleh Klandasan",
        "balikpapan-kota",
        ["paket-oleh-oleh", "amplang-kerupuk"],
        2010,
        "di dekat pantai",
    ),
    ("Amplang Kuku Macan H. Rahmat", "balikpapan-kota", ["amplang-kerupuk"], 2001, "sebagai usaha keluarga"),
    ("Sasirangan Galuh", "balikpapan-kota", ["batik-tulis-cap"], 2013, "dengan pewarna alam"),
    ("Nastar & Kue Lebaran Bu Wati", "balikpapan-kota", ["kue-roti"], 2008, "untuk pesanan hari raya"),
    ("Sambal Dapur Bunda Ika", "balikpapan-selatan", ["sambal-bumbu"], 2017, "berawal dari pesanan tetangga"),
    ("Kopi Gunung Bahagia", "balikpapan-selatan", ["minuman"], 2016, "menyangrai kopi Kaltim sendiri"),
    (
        "Batik Beruang Madu",
        "balikpapan-selatan",
        ["batik-tulis-cap", "aksesoris"],
        2012,
        "melatih pemuda membatik",
    ),
    ("Sabun Herbal Serai Wangi", "balikpapan-selatan", ["perawatan-tubuh"], 2019, "dari kebun serai sendiri"),
    (
        "Hampers Cantik Balikpapan",
        "balikpapan-selatan",
        ["paket-oleh-oleh", "kue-roti"],
        2020,
        "untuk kiriman",
    ),
    ("Kue Kering Nadia", "balikpapan-selatan", ["kue-roti"], 2018, "dengan mentega premium"),
    ("Suvenir Beruang Madu", "balikpapan-selatan", ["suvenir"], 2015, "dekat Bandara Sepinggan"),
    (
        "Kedai Jahe Merah Sepinggan",
        "balikpapan-selatan",
        ["jamu-herbal", "minuman"],
        2017,
        "dari rempah pilihan",
    ),
    ("Dapur Kue Mbak Rini", "balikpapan-tengah", ["kue-roti"], 2014, "dengan oven rumahan"),
    ("Aksesoris Kain Dewi", "balikpapan-tengah", ["aksesoris"], 2016, "dari sisa kain batik"),
    ("Jamu Gendong Mbok Sri", "balikpapan-tengah", ["jamu-herbal"], 1995, "berkeliling kampung"),
    ("Roti Sisir Pak Amin", "balikpapan-tengah", ["kue-roti"], 2003, "dari toko roti kecil di pasar"),
    ("Pempek & Bakso Ikan Ci Lina", "balikpapan-tengah", ["olahan-laut"], 2011, "dengan ikan tenggiri segar"),
    ("Kemeja Batik Etam", "balikpapan-tengah", ["batik-tulis-cap"], 2015, "untuk seragam kantor"),
    ("Lempok Durian Hj. Salmah", "balikpapan-timur", ["lempok-manisan"], 1999, "saat musim durian"),
    (
        "Terasi Udang Manggar Pak Usman",
        "balikpapan-timur",
        ["sambal-bumbu", "olahan-laut"],
        2007,
        "di Manggar",
    ),
    ("Anyaman Ibu Theresia", "balikpapan-timur", ["anyaman-rotan"], 2006, "bersama ibu-ibu Lamaru"),
    ("Rumah Batik Pesut", "balikpapan-timur", ["batik-tulis-cap"], 2014, "terinspirasi pesut Mahakam"),
    ("Madu Kelulut Teritip", "balikpapan-timur", ["jamu-herbal"], 2018, "dari stup lebah di hutan Teritip"),
    ("Sirup Markisa Manggar", "balikpapan-timur", ["minuman"], 2016, "dari kebun markisa sendiri"),
    ("Miniatur Kayu Pak Yohanes", "balikpapan-timur", ["ukiran-kayu", "suvenir"], 2004, "dari kayu sisa"),
    ("Tas Anyaman Lamaru", "balikpapan-timur", ["anyaman-rotan", "aksesoris"], 2017, "dengan rotan Kaltim"),
    ("Galeri Manik Etam", "balikpapan-utara", ["manik-manik"], 2010, "bersama perajin Dayak"),
    ("Sanggar Manik Lusia", "balikpapan-utara", ["manik-manik", "aksesoris"], 2008, "dengan motif warisan"),
    ("Rotan Kaltim Jaya", "balikpapan-utara", ["anyaman-rotan"], 2002, "memasok hotel dan kafe"),
    ("Ukiran Ulin Pak Dahlan", "balikpapan-utara", ["ukiran-kayu"], 1997, "dari kayu ulin bersertifikat"),
    ("Ulap Doyo Lestari", "balikpapan-utara", ["tenun-sarung"], 2013, "melestarikan tenun Benuaq"),
    ("Keripik Pisang Ibu Yuli", "balikpapan-utara", ["amplang-kerupuk"], 2015, "dari pisang kebun sendiri"),
    ("Teh & Jahe Gunung Samarinda", "balikpapan-utara", ["minuman", "jamu-herbal"], 2019, "di lereng bukit"),
    ("Dodol & Manisan Karang Joang", "balikpapan-utara", ["lempok-manisan"], 2011, "dari hasil kebun"),
    (
        "Gelang Manik Batu Ampar",
        "balikpapan-utara",
        ["manik-manik", "suvenir"],
        2018,
        "oleh anak muda kampung",
    ),
]

# Pieces for generated (benchmark) vendors.
OWNERS = (
    "Bu Sari", "Pak Rudi", "Mbak Dewi", "Acil Idah", "Haji Rahmat", "Kak Nita", "Bu Ratna", "Pak Joko",
    "Mama Yanti", "Bunda Lia", "Pak Karim", "Ibu Maria", "Mas Agus", "Acil Fatimah", "Bu Endang",
    "Pak Yusuf", "Ibu Rosa", "Kak Andi", "Bu Siti", "Pak Hendra", "Mbak Wulan", "Opung Tiur", "Daeng Baso",
)  # fmt: skip
# What a generated vendor calls its trade, by speciality.
TRADES = {
    "amplang-kerupuk": ("Amplang", "Kerupuk", "Keripik"),
    "kue-roti": ("Kue", "Roti", "Bolu"),
    "lempok-manisan": ("Lempok", "Dodol", "Manisan"),
    "sambal-bumbu": ("Sambal", "Bumbu", "Terasi"),
    "olahan-laut": ("Abon", "Ikan Asin", "Olahan Ikan"),
    "minuman": ("Kopi", "Sirup", "Teh"),
    "manik-manik": ("Manik", "Manik-manik"),
    "anyaman-rotan": ("Rotan", "Anyaman"),
    "ukiran-kayu": ("Ukiran", "Kerajinan Kayu"),
    "suvenir": ("Suvenir", "Cendera Mata"),
    "batik-tulis-cap": ("Batik",),
    "tenun-sarung": ("Tenun", "Sarung"),
    "aksesoris": ("Aksesoris", "Tas"),
    "perawatan-tubuh": ("Sabun", "Lulur", "Herbal"),
    "jamu-herbal": ("Jamu", "Madu", "Herbal"),
    "paket-oleh-oleh": ("Oleh-oleh", "Hampers"),
}
BUSINESS_WORDS = (
    "Dapur",
    "Rumah",
    "Galeri",
    "Sanggar",
    "Toko",
    "Kedai",
    "Warung",
    "Griya",
    "Pondok",
    "Sentra",
)
SIZES = ("", "", "", "Kemasan Hemat", "Ukuran Keluarga", "Mini", "Edisi Spesial", "Kemasan Oleh-oleh")

PICTURE_SIZE = (1200, 900)
STORED_SIZE = (960, 720)
PALETTES = {
    "makanan-minuman": ((200, 85, 61), (242, 165, 65), (255, 243, 224)),
    "kerajinan": ((140, 90, 60), (42, 127, 98), (244, 236, 222)),
    "batik-fesyen": ((46, 58, 135), (123, 75, 42), (240, 232, 214)),
    "kecantikan-kesehatan": ((106, 153, 78), (229, 152, 155), (246, 241, 233)),
    "oleh-oleh-hampers": ((158, 42, 43), (224, 159, 62), (250, 240, 220)),
}
PATTERNS = {
    "amplang-kerupuk": "dots",
    "kue-roti": "dots",
    "lempok-manisan": "waves",
    "sambal-bumbu": "dots",
    "olahan-laut": "waves",
    "minuman": "waves",
    "manik-manik": "beads",
    "anyaman-rotan": "weave",
    "ukiran-kayu": "diamonds",
    "suvenir": "diamonds",
    "batik-tulis-cap": "kawung",
    "tenun-sarung": "stripes",
    "aksesoris": "kawung",
    "perawatan-tubuh": "dots",
    "jamu-herbal": "waves",
    "paket-oleh-oleh": "stripes",
}


def _round_price(value):
    step = 5000 if value >= 100000 else 500
    return max(step, int(round(value / step)) * step)


def _whatsapp(rng):
    return "62" + rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _address(rng, district):
    street, kelurahan = rng.choice(STREETS[district])
    return f"{street} No. {rng.randint(1, 180)}, {kelurahan}", kelurahan


class DemoCatalogue:
    """The demo catalogue for one seed. Every method gives the same rows for
    the same seed, in the same order."""

    def __init__(self, seed=42):
        self.seed = seed

    def _rng(self, *parts):
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def categories(self):
        return [
            {"slug": slug, "name": name, "parent": parent, "description": description, "position": position}
            for position, (slug, name, parent, description) in enumerate(CATEGORIES)
        ]

    def vendors(self):
        """The hand-written vendors, with addresses and numbers drawn from the seed."""
        rng = self._rng("vendors")
        rows = []
        for name, district, specialities, founded, story in VENDORS:
            address, kelurahan = _address(rng, district)
            speciality = next(c[1] for c in CATEGORIES if c[0] == specialities[0]).lower()
            rows.append(
                {
                    "slug": slugify(name),
                    "name": name,
                    "district": district,
                    "whatsapp": _whatsapp(rng),
                    "address": address,
                    "description": (
                        f"{name} adalah UMKM {speciality} dari {kelurahan}, Balikpapan, berdiri sejak "
                        f"{founded} {story}. Pesanan dilayani lewat WhatsApp; pengiriman ke seluruh "
                        f"Balikpapan dan luar kota."
                    ),
                    "verified": rng.random() < 0.8,
                    "active": True,
                    "specialities": specialities,
                }
            )
        return rows

    def products(self):
        """The base products: five to seven per vendor from its specialities."""
        rng = self._rng("products")
        rows, slugs = [], set()
        for vendor in self.vendors():
            kinds = [k for c in vendor["specialities"] for k in KINDS_BY_CATEGORY[c]]
            for _ in range(rng.randint(5, 7)):
                row = self._product(rng, rng.choice(kinds), vendor, base=True)
                while row["slug"] in slugs:
                    row["slug"] += "-2"
                slugs.add(row["slug"])
                rows.append(row)
        return rows

    def _product(self, rng, kind, vendor, *, base, size=""):
        variant = rng.choice(kind.variants)
        unit, price = rng.choice(kind.units)
        name = f"{kind.name} {variant}"
        if size:
            name = f"{name} {size}"
        certifications = {
            c: (c in kind.certifications and rng.random() < 0.85) for c in ("halal", "pirt", "bpom", "sni")
        }
        roll = rng.random()
        status = "draft" if roll < 0.04 else "archived" if roll < 0.06 else "published"
        roll = rng.random()
        availability = "ready" if roll < 0.8 else "preorder" if roll < 0.92 else "soldout"
        if kind.category in ("batik-tulis-cap", "tenun-sarung") and "Tulis" in kind.name:
            availability = "preorder"
        description = kind.description.format(variant=variant.lower())
        if base:
            description += f" Dibuat oleh {vendor['name']} di Balikpapan."
        return {
            "slug": slugify(f"{name} {unit} {vendor['slug']}")[:160] if base else "",
            "vendor": vendor["slug"],
            "category": kind.category,
            "name": name[:150],
            "description": description,
            "price": _round_price(price * rng.uniform(0.85, 1.2)),
            "unit": unit,
            "availability": availability,
            "export_ready": kind.export and rng.random() < 0.4,
            "status": status,
            "featured": base and status == "published" and rng.random() < 0.07,
            **certifications,
        }

    def extra_vendor(self, number):
        """Generated vendor ``number`` (0-based): the same for the same seed and
        number, whatever else is generated, so products can be made for it
        without keeping every vendor in memory."""
        rng = self._rng("extra-vendor", number)
        district = DISTRICTS[number % len(DISTRICTS)]
        speciality = rng.choice(SUBCATEGORIES)
        trade, owner = rng.choice(TRADES[speciality]), rng.choice(OWNERS)
        name = f"{trade} {owner}" if rng.random() < 0.5 else f"{rng.choice(BUSINESS_WORDS)} {trade} {owner}"
        address, kelurahan = _address(rng, district)
        return {
            "slug": f"{slugify(name)}-{number + 1}",
            "name": name,
            "district": district,
            "whatsapp": _whatsapp(rng),
            "address": address,
            "description": f"UMKM {trade.lower()} dari {kelurahan}, Balikpapan.",
            "verified": rng.random() < 0.6,
            "active": rng.random() < 0.97,
            "specialities": [speciality],
            "owner": owner,
        }

    def extra_products(self, count, vendor_count):
        """``count`` generated products for generated vendors ``0 ..
        vendor_count - 1``, in blocks (about ``count / vendor_count`` each).
        Kinds follow a Zipf-like popularity, so search words vary in
        selectivity; some names carry the vendor's name."""
        rng = self._rng("extra-products")
        kinds = list(KINDS)
        rng.shuffle(kinds)
        cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(kinds))))
        vendor, vendor_number = None, -1
        for i in range(count):
            number = i * vendor_count // count
            if number != vendor_number:
                vendor, vendor_number = self.extra_vendor(number), number
            if rng.random() < 0.6:
                kind = rng.choice(KINDS_BY_CATEGORY[vendor["specialities"][0]])
            else:
                kind = rng.choices(kinds, cum_weights=cumulative)[0]
            row = self._product(rng, kind, vendor, base=False, size=rng.choice(SIZES))
            if rng.random() < 0.3:
                row["name"] = f"{row['name']} {vendor['owner']}"[:150]
            row["slug"] = f"{slugify(row['name'])[:140]}-x{i + 1}"
            yield row

    def picture(self, product):
        """JPEG bytes of a simple picture for a product row: the category's
        colours and pattern with the product's initials."""
        return draw_picture(product["name"], product["category"], self._rng("picture", product["slug"]))


def vendor_row(row, district_ids):
    """A vendor row as the importer takes it: the district's id, without the
    demo-only keys."""
    values = {k: v for k, v in row.items() if k not in ("specialities", "owner", "district")}
    values["district_id"] = district_ids[row["district"]]
    return values


# --------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------


def _initials(name):
    words = [w for w in name.split() if w[:1].isalpha()]
    return "".join(w[0] for w in words[:2]).upper() or "?"


def _mix(a, b, t):
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b, strict=True))


@functools.cache
def _font(size):
    return ImageFont.load_default(size=size)


def draw_picture(title, category, rng):
    """A 960 x 720 JPEG: a coloured background with the category's pattern,
    a light disc with the title's initials and the title underneath."""
    width, height = PICTURE_SIZE
    main, accent, light = PALETTES[TOP_OF[category]]
    shift = rng.uniform(-0.12, 0.12)
    background = _mix(main, (0, 0, 0) if shift < 0 else (255, 255, 255), abs(shift))
    image = Image.new("RGB", PICTURE_SIZE, background)
    draw = ImageDraw.Draw(image)
    line = _mix(background, light, 0.18)
    _pattern(draw, PATTERNS.get(category, "dots"), line, _mix(background, accent, 0.45), rng)
    # Shift the pattern by a random offset, so two products of the same name differ too.
    image = ImageChops.offset(image, rng.randrange(120), rng.randrange(120))
    draw = ImageDraw.Draw(image)

    cx, cy, r = width // 2, int(height * 0.42), 230
    draw.ellipse((cx - r - 14, cy - r - 14, cx + r + 14, cy + r + 14), fill=accent)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=light)
    draw.text((cx, cy), _initials(title), font=_font(200), fill=main, anchor="mm")

    band_top = int(height * 0.78)
    draw.rectangle((0, band_top, width, height), fill=_mix(main, (0, 0, 0), 0.25))
    text = title if len(title) <= 36 else title[:34].rstrip() + "…"
    draw.text((cx, (band_top + height) // 2), text, font=_font(48), fill=light, anchor="mm")

    # Drawn at 1200 x 900, stored at 960 x 720: sharp on every screen, and each
    # demo picture costs less to put through the upload path (renditions).
    image = image.resize(STORED_SIZE, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _pattern(draw, kind, colour, accent, rng):
    width, height = PICTURE_SIZE
    step = rng.choice((60, 75, 90))
    if kind == "dots":
        for y in range(0, height, step):
            for x in range((y // step) % 2 * step // 2, width, step):
                draw.ellipse((x - 8, y - 8, x + 8, y + 8), fill=colour)
    elif kind == "waves":
        for y in range(0, height + step, step // 2 + 10):
            points = [(x, y + 14 * math.sin(x / 40 + y)) for x in range(0, width + 20, 20)]
            draw.line(points, fill=colour, width=5)
    elif kind == "stripes":
        for x in range(-height, width, step // 2):
            draw.line((x, height, x + height, 0), fill=colour if (x // (step // 2)) % 3 else accent, width=12)
    elif kind == "weave":
        for y in range(0, height, step):
            for x in range(0, width, step):
                if (x // step + y // step) % 2:
                    draw.rectangle((x + 6, y + step // 3, x + step - 6, y + 2 * step // 3), fill=colour)
                else:
                    draw.rectangle((x + step // 3, y + 6, x + 2 * step // 3, y + step - 6), fill=colour)
    elif kind == "kawung":
        q = step // 2
        for y in range(0, height + step, step):
            for x in range(0, width + step, step):
                for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                    ex, ey = x + dx * q // 2, y + dy * q // 2
                    rx, ry = (q // 2, q // 4) if dx else (q // 4, q // 2)
                    draw.ellipse((ex - rx, ey - ry, ex + rx, ey + ry), outline=colour, width=4)
                draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=accent)
    elif kind == "beads":
        for y in range(step // 2, height, step):
            for i, x in enumerate(range(0, width, 34)):
                fill = accent if (i + y // step) % 4 == 0 else colour
                draw.ellipse((x, y - 11, x + 22, y + 11), fill=fill)
    else:  # diamonds
        for y in range(0, height + step, step):
            for x in range((y // step) % 2 * step // 2, width + step, step):
                h = step // 2 - 8
                # A line, not a polygon outline: a wide outline costs a full-size mask per shape.
                draw.line(((x, y - h), (x + h, y), (x, y + h), (x - h, y), (x, y - h)), fill=colour, width=4)
