"""Blank every refresh token SimpleJWT's OutstandingToken rows still hold.

The rows stay: the blacklist and flushexpiredtokens need their jti, user and
times, never the token. (0006 has already copied each live session's kid
from the token's header.) Old row versions may linger in the database files
until they are vacuumed and in backups taken before; those tokens die with
their refresh lifetime, or at once with an emergency key retirement.
Reversing changes nothing: the tokens cannot come back.
"""

from django.db import migrations


def forget_stored_tokens(apps, schema_editor):
    OutstandingToken = apps.get_model("token_blacklist", "OutstandingToken")
    OutstandingToken.objects.exclude(token="").update(token="")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0007_session_successor_claims"),
        ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
    ]

    operations = [
        migrations.RunPython(forget_stored_tokens, migrations.RunPython.noop),
    ]
