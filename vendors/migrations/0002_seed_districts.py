from django.db import migrations

# Balikpapan's six kecamatan. Another city replaces these rows (in the
# admin or with a migration of its own); no code names them.
DISTRICTS = [
    ("Balikpapan Barat", "balikpapan-barat"),
    ("Balikpapan Kota", "balikpapan-kota"),
    ("Balikpapan Selatan", "balikpapan-selatan"),
    ("Balikpapan Tengah", "balikpapan-tengah"),
    ("Balikpapan Timur", "balikpapan-timur"),
    ("Balikpapan Utara", "balikpapan-utara"),
]


def seed(apps, schema_editor):
    District = apps.get_model("vendors", "District")
    for position, (name, slug) in enumerate(DISTRICTS):
        District.objects.update_or_create(slug=slug, defaults={"name": name, "position": position})


def unseed(apps, schema_editor):
    apps.get_model("vendors", "District").objects.filter(slug__in=[s for _, s in DISTRICTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("vendors", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
