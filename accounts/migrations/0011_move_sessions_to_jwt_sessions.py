"""Point the security log at jwt_sessions' sessions; drop accounts_session.

0010 copied every row. Reversed, this brings the table back and copies the
rows back into it before the security log points at it again.
"""

import django.db.models.deletion
from django.db import migrations, models

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


def copy_back(apps, schema_editor):
    _copy(apps.get_model("jwt_sessions", "Session"), apps.get_model("accounts", "Session"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_copy_sessions_to_jwt_sessions")]

    operations = [
        migrations.AlterField(
            model_name="securityevent",
            name="session",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="events",
                to="jwt_sessions.session",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, copy_back),
        migrations.DeleteModel(name="Session"),
    ]
