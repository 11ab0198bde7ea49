"""Record which key signed each live session's refresh token.

Until now the only record of it was the token itself, in SimpleJWT's
OutstandingToken.token; that copy is about to go (0008), and an emergency key
retirement must still find every session the retired key signed. Only the
header is read, unverified: the kid names a key, it proves nothing.
"""

import jwt
from django.db import migrations

BATCH = 1000


def record_signing_kids(apps, schema_editor):
    Session = apps.get_model("accounts", "Session")
    OutstandingToken = apps.get_model("token_blacklist", "OutstandingToken")
    sessions = Session.objects.filter(revoked_at__isnull=True).order_by("pk")
    after = None
    while True:
        batch = sessions if after is None else sessions.filter(pk__gt=after)
        batch = list(batch.values_list("pk", "refresh_jti")[:BATCH])
        if not batch:
            return
        after = batch[-1][0]
        tokens = dict(
            OutstandingToken.objects.filter(
                jti__in=[jti for _, jti in batch]
            ).values_list("jti", "token")
        )
        changed = []
        for pk, jti in batch:
            try:
                kid = jwt.get_unverified_header(tokens.get(jti) or "").get("kid")
            except jwt.InvalidTokenError:
                continue
            if isinstance(kid, str) and 0 < len(kid) <= 64:
                changed.append(Session(pk=pk, signing_kid=kid))
        Session.objects.bulk_update(changed, ["signing_kid"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_session_signing_kid"),
        ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
    ]

    operations = [
        migrations.RunPython(record_signing_kids, migrations.RunPython.noop),
    ]
