"""What the project's management commands that use the database share."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor


def unapplied_migrations(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Return the migrations `migrate` would apply to database `using`."""
    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def explain_database_error(exc: DatabaseError) -> str:
    """Say what a database error that stopped a command means, and what to do."""
    try:
        unapplied = unapplied_migrations()
    except DatabaseError as unreachable:
        return (
            f"The database cannot be used ({unreachable}). "
            "Check DATABASE_URL, and that the database server is running."
        )
    if unapplied:
        more = f" and {len(unapplied) - 1} more" if len(unapplied) > 1 else ""
        return (
            f"The database is not migrated yet ({unapplied[0]}{more} not applied). "
            "Run `make migrate` (or `python manage.py migrate`) first."
        )
    return f"The database refused the command: {exc} (--traceback shows where)."


class DatabaseCommand(BaseCommand):
    """A command that reads or writes the site's tables.

    A database error (most often a database that `migrate` has not made
    yet) ends it with a CommandError that says what to do, not a traceback.
    Nothing is checked beforehand, so a command costs nothing more for it.
    """

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except DatabaseError as exc:
            raise CommandError(explain_database_error(exc)) from exc
