from django.apps import AppConfig


class ReadVaultConfig(AppConfig):
    name = "readvault"
    verbose_name = "ReadVault"
