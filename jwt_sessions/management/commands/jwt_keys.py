"""manage.py jwt_keys: generate, activate, retire and list signing keys."""

from django.core.management.base import BaseCommand, CommandError

from jwt_sessions import key_lifecycle, keys


class Command(BaseCommand):
    help = (
        "Manage the keys that sign tokens (RS256, ES256, EdDSA): generate a key, "
        "activate it, retire an old one, list them. See README, Signing keys."
    )
    # This is the tool that fixes what the key checks refuse.
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        generate = actions.add_parser(
            "generate", help="Add a new key and print its kid; the first one signs."
        )
        generate.add_argument(
            "--algorithm", choices=sorted(keys.ASYMMETRIC_ALGORITHMS), default=None
        )
        activate = actions.add_parser("activate", help="Make a key the signing key.")
        activate.add_argument("kid")
        retire = actions.add_parser(
            "retire", help="Stop accepting tokens a key signed."
        )
        retire.add_argument("kid")
        retire.add_argument(
            "--emergency",
            action="store_true",
            help="The key leaked: retire it now and end every session it signed.",
        )
        actions.add_parser("list", help="Show the keys and what each one does.")

    def handle(self, *args, action, **options):
        try:
            getattr(self, action)(**options)
        except key_lifecycle.KeyChangeRefused as exc:
            raise CommandError(str(exc)) from exc
        except keys.KeySetError as exc:
            raise CommandError(str(exc)) from exc

    def generate(self, *, algorithm, **options):
        kid, active = key_lifecycle.generate_key(algorithm=algorithm)
        # The kid alone on stdout, so that KID=$(manage.py jwt_keys generate)
        # works; what to do next goes to stderr.
        self.stdout.write(kid)
        if active:
            self.stderr.write(f"{kid} is the first key: it signs from now on.")
        else:
            self.stderr.write(
                f"{kid} is published in /.well-known/jwks.json but does not sign "
                "yet. Give other services time to fetch it (the JWKS may be cached "
                f"for {keys.JWKS_MAX_AGE} seconds), then: "
                f"python manage.py jwt_keys activate {kid}"
            )

    def activate(self, *, kid, **options):
        previous = key_lifecycle.activate_key(kid=kid)
        self.stdout.write(f"{kid} signs new tokens from now on.")
        if previous:
            retire_after = next(
                status.retire_after
                for status in key_lifecycle.key_statuses()
                if status.kid == previous
            )
            self.stdout.write(
                f"{previous} still verifies the tokens it signed. Once they have "
                f"expired, after {retire_after:%Y-%m-%d %H:%M:%S} UTC, run: "
                f"python manage.py jwt_keys retire {previous}"
            )

    def retire(self, *, kid, emergency, **options):
        result = key_lifecycle.retire_key(kid=kid, emergency=emergency)
        self.stdout.write(f"{kid} is retired: tokens it signed are refused.")
        if result.new_active_kid:
            self.stdout.write(f"{result.new_active_kid} is the new signing key.")
        if emergency:
            self.stdout.write(
                f"{result.sessions_ended} session(s) signed with {kid} ended; "
                "their users must log in again."
            )

    def list(self, **options):
        algorithm = keys.configured_algorithm()
        if algorithm in keys.HMAC_ALGORITHMS:
            self.stdout.write(
                f"JWT_ALGORITHM is {algorithm}: tokens are signed with "
                f"JWT_SIGNING_KEY (kid {keys.get_key_set().active.kid}); the key "
                "file is not used."
            )
        for status in key_lifecycle.key_statuses():
            if status.active:
                state = "active: signs new tokens"
            elif status.retire_after:
                state = (
                    f"verifying; retire after {status.retire_after:%Y-%m-%d %H:%M} UTC"
                )
            else:
                state = "verifying; never signed, can be activated or retired"
            created = (
                f"{status.created_at:%Y-%m-%d %H:%M}" if status.created_at else "?"
            )
            self.stdout.write(
                f"{status.kid}  {status.algorithm}  created {created}  {state}"
            )
