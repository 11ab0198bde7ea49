"""Browser fixtures: Debian's Chromium, driven by Playwright, against live_server.

The tests use the Chromium that the system package installs (Playwright's own
browser download is not used). Without it they are skipped, except in CI,
where a missing browser is a failure: CI must prove the journeys.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
# A laptop, and the narrowest phone the pages are laid out for.
VIEWPORTS = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 360, "height": 740},
}

# How Chromium reports, in the console, a page or a file answered with an
# HTTP error.
FAILED_LOAD = re.compile(r"Failed to load resource: .* status of (\d{3})")

# Playwright's sync API keeps an asyncio event loop set on the main thread;
# Django then takes the test's own ORM calls for calls from async code and
# refuses them. The test code is plain synchronous code, so allow it here,
# for the browser tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "error_pages(*statuses): the test opens pages that answer with these "
        "HTTP error statuses on purpose (and checks what they say)",
    )


@pytest.fixture(scope="session")
def chromium():
    """The one Chromium of the run, headless."""
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def viewport(request):
    """The window size of the test's browsers: a desktop unless parametrized."""
    return VIEWPORTS[getattr(request, "param", "desktop")]


@pytest.fixture
def context_factory(chromium, live_server, transactional_db, viewport, request):
    """Make browser contexts (separate cookie jars) on the live server.

    Every page of every context is watched for Content-Security-Policy
    violations, console errors and uncaught script errors: the site must run
    under a strict policy, so none may occur. A page that answers with an
    HTTP error counts too, unless the test marks that status as one it
    opens on purpose (`@pytest.mark.error_pages(403)`): so a form that a
    header breaks in the browser fails whichever test submits it.
    """
    # Start with no failed logins counted against the browsers' one address:
    # the flush that ends a transactional test leaves the database cache's
    # table as it was, and a few tests' deliberate failures would add up to
    # a lockout of every later test.
    caches["default"].clear()
    marker = request.node.get_closest_marker("error_pages")
    expected_statuses = set(marker.args) if marker else set()
    contexts, problems = [], []

    def is_a_problem(message, where: str) -> bool:
        if "Content Security Policy" in message.text:
            return True
        if message.type != "error":
            return False
        failed = FAILED_LOAD.match(message.text)
        if not failed:
            return True
        url = message.location.get("url", "")
        # The page itself (not a file it loads) answered as the test meant.
        return not (url == where and int(failed[1]) in expected_statuses)

    def record(message):
        where = message.page.url if message.page else "?"
        if is_a_problem(message, where):
            problems.append(f"{where}: {message.text} ({message.location['url']})")

    def record_script_error(error):
        where = error.page.url if error.page else "?"
        problems.append(f"{where}: uncaught {error.error}")

    def make():
        context = chromium.new_context(
            base_url=live_server.url,
            viewport=viewport,
            locale="en-US",
            timezone_id="UTC",
        )
        context.set_default_timeout(10_000)
        context.on("console", record)
        context.on("weberror", record_script_error)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(context_factory):
    """A page in a fresh browser context."""
    return context_factory().new_page()


def save_screenshot(page, name: str) -> None:
    """Save the whole page as docs/screenshots/<name>.png for the README."""
    # The README shows the desktop layout; a phone-width run keeps it.
    if page.viewport_size != VIEWPORTS["desktop"]:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
