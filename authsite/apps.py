"""The project as an app: its start-up checks and the database cache's table."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuthsiteConfig(AppConfig):
    """The project's own pieces: start-up checks and the cache table."""

    name = "authsite"
    verbose_name = "Site"

    def ready(self):
        from . import cache, checks  # noqa: F401  (checks registers itself)

        post_migrate.connect(
            cache.create_cache_tables, dispatch_uid="authsite.create_cache_tables"
        )
