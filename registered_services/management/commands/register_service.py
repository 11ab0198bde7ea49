"""manage.py register_service NAME --audience AUD [--events-url URL] | NAME --remove."""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from authsite.commands import DatabaseCommand
from registered_services import services


class Command(DatabaseCommand):
    help = (
        "Register a service that trusts this site's access tokens (prints its "
        "client id and secret once), or remove one with --remove."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--audience", help="The aud its access tokens carry.")
        parser.add_argument(
            "--events-url",
            default="",
            help="Where revocation events are pushed (blank: it polls).",
        )
        parser.add_argument(
            "--remove", action="store_true", help="Remove the service NAME."
        )

    def handle(self, *args, name, audience, events_url, remove, **options):
        if remove:
            if audience or events_url:
                raise CommandError("--remove takes the NAME only.")
            if not services.remove_service(name=name):
                raise CommandError(f"No service is registered as {name!r}.")
            self.stderr.write(f"Removed service {name!r}.")
            return
        if not audience:
            raise CommandError("Give the service's audience: --audience AUD.")
        try:
            registration = services.register_service(
                name=name, audience=audience, events_url=events_url
            )
        except services.RegistrationRefused as refused:
            raise CommandError(str(refused)) from None
        except ValidationError as invalid:
            raise CommandError(
                " ".join(
                    f"{field}: {' '.join(errors)}"
                    for field, errors in invalid.message_dict.items()
                )
            ) from None
        # Exactly these two lines on stdout: scripts parse them.
        self.stdout.write(f"client_id: {registration.service.client_id}")
        self.stdout.write(f"client_secret: {registration.client_secret}")
