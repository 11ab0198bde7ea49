"""The site's templates need nothing a strict Content-Security-Policy forbids."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html"))
FORBIDDEN = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)"),
    "style attribute": re.compile(r"\sstyle\s*="),
    "style element": re.compile(r"<style[\s>]"),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "CDN": re.compile(r"https?://[^\"'\s]*\.(?:css|js)\b"),
}


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.name))
def test_template_has_no_inline_script_style_or_handler(template):
    text = template.read_text()
    found = [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert not found, f"{template}: {', '.join(found)}"
