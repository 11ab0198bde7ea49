"""The site's icon: static files that every kind of page links, and /favicon.ico."""

import re
from xml.etree import ElementTree

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse

from tests.helpers.clients import log_in

ICON_LINK = re.compile(r'<link rel="icon" href="([^"]+)"')
ICO_MAGIC = b"\x00\x00\x01\x00"  # a Windows icon resource


def icons_linked(html: str) -> set[str]:
    return set(ICON_LINK.findall(html))


def test_the_icon_files_are_an_svg_and_a_windows_icon():
    with open(finders.find("favicon.ico"), "rb") as ico:
        assert ico.read(4) == ICO_MAGIC
    svg = ElementTree.parse(finders.find("favicon.svg")).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    # Shown as an image under the static files' own "default-src 'none'":
    # nothing in it may need a style or a script.
    assert not svg.findall(".//{http://www.w3.org/2000/svg}style")
    assert "style" not in ElementTree.tostring(svg).decode()


def test_favicon_ico_at_the_root_leads_to_the_static_icon(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == static("favicon.ico")


@pytest.mark.parametrize(
    "url", ["/", "/accounts/login/", "/api/products/", "/api/docs/", "/no/such/page/"]
)
def test_every_kind_of_page_links_both_icons(client, db, url):
    page = client.get(url, HTTP_ACCEPT="text/html")

    assert icons_linked(page.content.decode()) == {
        static("favicon.ico"),
        static("favicon.svg"),
    }


def test_the_admin_links_both_icons(browser, staff_user):
    log_in(browser, staff_user.email)
    page = browser.get(reverse("admin:index"))

    assert page.status_code == 200
    assert icons_linked(page.content.decode()) == {
        static("favicon.ico"),
        static("favicon.svg"),
    }


def test_the_server_error_page_links_both_icons():
    assert icons_linked(render_to_string("500.html")) == {
        static("favicon.ico"),
        static("favicon.svg"),
    }
