from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "shadowvault.storage"
    label = "storage"
    verbose_name = "Storage"
    default_auto_field = "django.db.models.BigAutoField"
