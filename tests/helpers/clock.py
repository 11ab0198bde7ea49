"""Move the clock with time-machine, never with sleeps."""

import time_machine
from django.utils import timezone


def seconds_later(seconds):
    return time_machine.travel(
        timezone.now() + timezone.timedelta(seconds=seconds), tick=False
    )
