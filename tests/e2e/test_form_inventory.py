"""Every form in templates/ is listed in tests/e2e/README.md with a browser test.

No browser runs here: this reads the templates, the inventory table and the
browser tests' source.
"""

import ast
import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
HERE = Path(__file__).parent
INVENTORY = HERE / "README.md"
FORM_TAG = re.compile(r"<form\b[^>]*>", re.IGNORECASE)
ACTION = re.compile(r"""\baction\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
URL_TAG = re.compile(r"""\{%\s*url\s+(["'])(.+?)\1""")
CODE = re.compile(r"`([^`]+)`")
TEST_REFERENCE = re.compile(r"`(test_\w+\.py)::(test_\w+)`")
BROWSER_FIXTURES = {"page", "context_factory"}


def action_of(tag: str) -> str:
    """Return the URL name a form tag's action reverses ("" for none)."""
    action = ACTION.search(tag)
    if action is None:
        return ""
    url = URL_TAG.search(action[2])
    return url[2] if url else action[2]


def template_forms() -> list[tuple[str, str]]:
    """List (template, action) for every <form> tag under templates/."""
    return [
        (path.relative_to(TEMPLATES).as_posix(), action_of(tag))
        for path in sorted(TEMPLATES.rglob("*.html"))
        for tag in FORM_TAG.findall(path.read_text())
    ]


def inventory_rows() -> list[list[str]]:
    """Return the cells of every body row of the inventory's tables."""
    rows = []
    for line in INVENTORY.read_text().splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue  # not a table row, or the line under a table's header
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] != "Form":
            rows.append(cells)
    return rows


def listed_forms() -> list[tuple[str, str]]:
    """List (template, action) for every inventory row of a site template."""
    listed = []
    for _form, where, action, _tests in inventory_rows():
        template = CODE.fullmatch(where)
        if template:
            named = CODE.fullmatch(action)
            listed.append((template[1], named[1] if named else ""))
    return listed


def browser_tests() -> dict[str, set[str]]:
    """Map each test module here to its tests that drive a browser."""
    found = {}
    for module in HERE.glob("test_*.py"):
        tree = ast.parse(module.read_text())
        found[module.name] = {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef)
            and node.name.startswith("test_")
            and BROWSER_FIXTURES & {arg.arg for arg in node.args.args}
        }
    return found


def test_the_guard_sees_the_forms_and_the_inventory():
    # Without this a broken pattern would find nothing and pass everything.
    forms = template_forms()
    assert len(forms) >= 10
    assert ("registration/login.html", "accounts:login") in forms
    assert ("registration/password_reset_confirm.html", "") in forms
    assert len(listed_forms()) >= 10


def test_each_form_in_a_template_can_be_told_apart():
    forms = template_forms()
    twins = {form for form in forms if forms.count(form) > 1}
    assert not twins, (
        f"Two forms in one template post to the same place: {sorted(twins)}. "
        "Tell them apart in this guard (e.g. by an id) before listing them."
    )


def test_every_form_in_the_templates_is_listed_with_a_browser_test():
    missing = sorted(set(template_forms()) - set(listed_forms()))
    assert not missing, (
        f"Forms with no row in {INVENTORY.relative_to(settings.BASE_DIR)}: "
        f"{missing}. Write a browser test in tests/e2e/ that submits each and "
        "checks what it did, then list it there."
    )


def test_the_inventory_lists_no_form_that_is_gone():
    gone = sorted(set(listed_forms()) - set(template_forms()))
    assert not gone, f"Rows for forms no template has any more: {gone}"


def test_every_row_names_browser_tests_that_exist():
    tests = browser_tests()
    rows = inventory_rows()
    assert rows
    for form, where, _action, named in rows:
        references = TEST_REFERENCE.findall(named)
        assert references, f"{form} ({where}) names no browser test"
        for module, test in references:
            assert test in tests.get(module, set()), (
                f"{form} ({where}): {module}::{test} is not a browser test "
                f"in {HERE.relative_to(settings.BASE_DIR)}"
            )
