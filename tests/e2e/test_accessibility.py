"""axe-core on every kind of public page, at a phone and a desktop viewport:
no serious or critical violation. Each page is also saved as a full-page
screenshot in test-artifacts/screenshots/ and must log no error (a script or
style blocked by the Content-Security-Policy shows up there)."""

import pytest

from tests.e2e.conftest import AXE_JS, VIEWPORTS, require_node_tool, screenshot

pytestmark = pytest.mark.browser

PAGES = {
    "home": ("/", 200),
    "catalogue": ("/products/", 200),
    "catalogue-filtered": ("/products/?category=amplang-kerupuk&cert=halal&sort=price_asc", 200),
    "no-results": ("/products/?q=xyzzy-tidak-ada", 200),
    "category": ("/categories/makanan-minuman/", 200),
    "product": ("/products/amplang-ikan-tenggiri/", 200),
    "vendor": ("/vendors/amplang-bu-sari/", 200),
    "vendor-directory": ("/vendors/", 200),
    "not-found": ("/products/tidak-ada-produk-ini/", 404),
}
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="session")
def axe_source():
    require_node_tool(AXE_JS, "axe-core")
    return AXE_JS.read_text()


def run_axe(page, axe_source):
    """axe-core's default rules (WCAG 2.x A/AA and best practices). The source is
    evaluated through the DevTools protocol, which the page's CSP does not govern,
    so the site keeps its real policy."""
    page.evaluate(axe_source + "\n;undefined")
    return page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")


def describe(violation):
    nodes = "\n".join(
        f"      {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').splitlines()[-1:]}"
        for node in violation["nodes"][:5]
    )
    head = f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
    return f"{head}\n{nodes}"


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violation(name, site, new_page, axe_source):
    path, status = PAGES[name]
    problems = []
    for size, viewport in VIEWPORTS.items():
        page = new_page(viewport)
        response = page.goto(site + path, wait_until="load")
        assert response.status == status, f"{path}: HTTP {response.status}"
        screenshot(page, f"{name}-{size}")
        results = run_axe(page, axe_source)
        blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
        if blocking:
            problems.append(f"{path} at {size} {viewport}:\n" + "\n".join(map(describe, blocking)))
        errors = [e for e in page.errors if not (status == 404 and "404" in e)]
        if errors:
            problems.append(f"{path} at {size}: errors in the page:\n    " + "\n    ".join(errors))
    assert not problems, "\n".join(problems)


def test_keyboard_user_can_skip_to_content(site, page):
    """The first Tab stop is the skip link, and it moves focus into <main>."""
    page.goto(site + "/products/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.getAttribute('href')")
    assert focused == "#main"
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none" or (
        page.evaluate("() => getComputedStyle(document.activeElement).boxShadow") != "none"
    )
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.closest('main') !== null")
