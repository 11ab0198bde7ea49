"""manage.py deliver_events [--forever]: push the revocation events that are due."""

import time

from authsite.commands import DatabaseCommand
from registered_services import app_settings, delivery


class Command(DatabaseCommand):
    help = (
        "Push the revocation events that are due to their services, and delete "
        "those past retention. With --forever, keep doing so (a worker for "
        "SERVICE_EVENTS_DELIVERY=command)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--forever", action="store_true")

    def handle(self, *args, forever, **options):
        while True:
            delivered = 0
            while True:
                batch = delivery.deliver()
                delivered += batch
                if not batch:
                    break
            pruned = delivery.prune()
            if delivered or pruned or not forever:
                self.stdout.write(f"Delivered {delivered}, pruned {pruned}.")
            if not forever:
                return
            time.sleep(app_settings.poll_interval())
