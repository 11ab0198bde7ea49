"""The project's system check: the database cache's table exists."""

from django.core.checks import Error, Tags, Warning, register

from .cache import CacheTableMissing, ensure_cache_tables_exist


@register(Tags.caches)
def check_cache_tables(app_configs, databases=None, **kwargs):
    """Refuse to start when the database cache has no table (authsite.E020)."""
    try:
        ensure_cache_tables_exist()
    except CacheTableMissing as exc:
        if databases is not None:
            # `migrate` runs the checks with its database, and creates the
            # table itself once it has run: it must not be stopped by this.
            return [Warning(exc.problem, hint=exc.fix, id="authsite.W020")]
        return [Error(exc.problem, hint=exc.fix, id="authsite.E020")]
    return []
