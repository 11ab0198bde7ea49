"""Copy the login sessions into the jwt_sessions app (0011 drops the old ones).

Every row of accounts_session is copied, unchanged, into
jwt_sessions_session: same ids, so every token's `sid` still names its
session and nobody is logged out. The `session` content type moves with the
model, so permissions granted on it (and the admin log) carry over. The
copy commits before 0011 changes any table: PostgreSQL does not alter a
table in a transaction that still has checks of new rows pending.
"""

from django.db import migrations

FIELDS = (
    "id",
    "user_id",
    "created_at",
    "last_used_at",
    "expires_at",
    "user_agent",
    "ip_address",
    "refresh_jti",
    "previous_refresh_jti",
    "rotated_at",
    "signing_kid",
    "successor_claims",
    "revoked_at",
    "revoked_reason",
)
BATCH = 1000


def _copy(source, target):
    rows = source.objects.order_by("pk").values(*FIELDS)
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        batch.append(target(**row))
        if len(batch) == BATCH:
            target.objects.bulk_create(batch)
            batch = []
    target.objects.bulk_create(batch)


def _move_content_type(apps, *, from_label, to_label):
    ContentType = apps.get_model("contenttypes", "ContentType")
    # A content type for the target may exist already (a post_migrate of a
    # half-done earlier attempt); then the old one's permissions join it.
    existing = ContentType.objects.filter(app_label=to_label, model="session").first()
    old = ContentType.objects.filter(app_label=from_label, model="session").first()
    if old is None:
        return
    if existing is None:
        old.app_label = to_label
        old.save(update_fields=["app_label"])
        return
    Permission = apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(content_type=old):
        if not Permission.objects.filter(
            content_type=existing, codename=permission.codename
        ).exists():
            permission.content_type = existing
            permission.save(update_fields=["content_type"])


def forwards(apps, schema_editor):
    _copy(apps.get_model("accounts", "Session"), apps.get_model("jwt_sessions", "Session"))
    _move_content_type(apps, from_label="accounts", to_label="jwt_sessions")


def backwards(apps, schema_editor):
    # 0011 reversed has copied the rows back; the copies here go with the
    # jwt_sessions table.
    _move_content_type(apps, from_label="jwt_sessions", to_label="accounts")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_security_event_reset_link_refused"),
        ("jwt_sessions", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
