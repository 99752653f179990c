from django.contrib.auth.management import create_permissions
from django.db import migrations

from vendors.roles import CURATOR_GROUP, CURATOR_PERMISSIONS, VENDOR_GROUP, VENDOR_PERMISSIONS


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure
    # they exist now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ((VENDOR_GROUP, VENDOR_PERMISSIONS), (CURATOR_GROUP, CURATOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        perms = []
        for code in codes:
            app_label, codename = code.split(".")
            perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(perms)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[VENDOR_GROUP, CURATOR_GROUP]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0001_initial"),
        ("vendors", "0002_seed_districts"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
