from django.apps import AppConfig


class ProductsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "products"

    def ready(self):
        from . import images, signals  # noqa: F401  (images: the picture files' receivers)

        signals.connect()
