from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self):
        from authsite_verifier.django import get_verifier

        # A wrong AUTHSITE_VERIFIER fails here, at start-up, not at a request.
        get_verifier()
