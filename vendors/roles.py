"""The two staff roles: Django groups created by a data migration.

A *curator* (city staff) manages the whole catalogue; a *vendor* account
edits only the vendors it is linked to (``Vendor.users``) and their products.
"""

VENDOR_GROUP = "vendor"
CURATOR_GROUP = "curator"

# Permissions per role, as "app_label.codename".
VENDOR_PERMISSIONS = [
    "vendors.view_vendor",
    "vendors.change_vendor",
    "vendors.view_district",
    "products.view_category",
    "products.view_product",
    "products.add_product",
    "products.change_product",
    "products.delete_product",
    "products.view_productimage",
    "products.add_productimage",
    "products.change_productimage",
    "products.delete_productimage",
]
CURATOR_PERMISSIONS = [
    *(f"vendors.{action}_vendor" for action in ("view", "add", "change", "delete")),
    "vendors.verify_vendor",
    "vendors.view_district",
    *(
        f"products.{action}_{model}"
        for action in ("view", "add", "change", "delete")
        for model in ("category", "product", "productimage")
    ),
    "products.feature_product",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
]


def is_curator(user):
    """Whether the user manages the whole catalogue (curators and superusers)."""
    return user.is_active and (user.is_superuser or user.has_perm("vendors.verify_vendor"))
