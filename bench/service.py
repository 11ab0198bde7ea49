"""How soon another service refuses a token whose session ended on the site.

The site and the example service (examples/inventory/, the verifier inside)
each under gunicorn with two workers (tests/helpers/example_service.py).
Each trial logs an app in on the site for the service's audience, has the
service accept its access token, logs it out on the site, and from the
site's answer on asks the service until six answers in a row (both of its
workers) are refusals.
"""

import statistics
import tempfile
import time
from pathlib import Path

from tests.helpers.example_service import GUNICORN, Servers

TRIALS = 20


def available() -> bool:
    return GUNICORN.exists()


def run() -> dict:
    """Measure TRIALS logouts; return the figures in ms."""
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        servers = Servers(Path(tmp))
        servers.prepare()
        try:
            servers.start_site()
            servers.start_service()
            times = []
            for _ in range(TRIALS + 1):
                tokens = servers.log_in()
                if servers.items(tokens["access"]) != 200:
                    raise RuntimeError("the service refused a live token")
                if (status := servers.log_out(tokens)) != 200:
                    raise RuntimeError(f"the logout answered {status}")
                times.append(servers.seconds_until_refused(tokens["access"]) * 1000)
                time.sleep(0.3)
        finally:
            servers.stop()
    times = sorted(times[1:])  # the first: each worker's first requests
    return {
        "trials": len(times),
        "p50": statistics.median(times),
        "p99": times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
        "max": times[-1],
    }
