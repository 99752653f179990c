"""Lighthouse (mobile preset) scores and the Nu Html Checker on the key pages.

Both are slow external tools whose verdict does not depend on the database, so
they run once per CI run: on the SQLite half only."""

import json
import os
import shutil
import subprocess
import time

import pytest

from tests.conftest import require_service
from tests.e2e.conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    LIGHTHOUSE_BIN,
    VNU_JAR,
    build_catalogue,
    require_java,
    require_node_tool,
)

pytestmark = [pytest.mark.browser, pytest.mark.backend("sqlite")]

LIGHTHOUSE_PAGES = {
    "home": "/",
    "search": "/products/?q=amplang",
    "product": "/products/amplang-ikan-tenggiri/",
}
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
MIN_SCORE = 95

HTML_PAGES = {
    "home": ("/", 200),
    "catalogue": ("/products/", 200),
    "catalogue-filtered": ("/products/?category=amplang-kerupuk&cert=halal&cert=pirt&in_stock=1", 200),
    "search": ("/products/?q=amplang&sort=price_asc", 200),
    "no-results": ("/products/?q=xyzzy-tidak-ada&district=balikpapan-utara", 200),
    "category": ("/categories/makanan-minuman/", 200),
    "product": ("/products/amplang-ikan-tenggiri/", 200),
    "product-no-picture": ("/products/teh-daun-bajakah/", 200),
    "vendor": ("/vendors/amplang-bu-sari/", 200),
    "vendor-directory": ("/vendors/", 200),
    "not-found": ("/products/tidak-ada-produk-ini/", 404),
}


def lighthouse(url, report_path):
    """Run Lighthouse once; returns its JSON report."""
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    command = [
        str(LIGHTHOUSE_BIN),
        url,
        "--chrome-flags=--headless " + " ".join(CHROMIUM_FLAGS),
        "--only-categories=" + ",".join(CATEGORIES),
        "--output=json",
        f"--output-path={report_path}",
        "--max-wait-for-load=30000",
        # Screenshots in the report cost seconds and judge nothing.
        "--disable-full-page-screenshot",
        "--skip-audits=screenshot-thumbnails,final-screenshot",
        "--quiet",
    ]
    # Lighthouse itself sometimes loses the trace of a load on a busy runner
    # ("Runtime error encountered ... NO_NAVSTART"): that says nothing about the
    # page, so such a run is tried again, up to three times in all.
    for _attempt in range(3):
        # Our own fixed command line; the only variable part is the live server's URL.
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, check=False)  # noqa: S603
        if done.returncode != 0 and "Runtime error encountered" in done.stderr:
            continue
        assert done.returncode == 0, f"lighthouse failed on {url}:\n{done.stderr[-2000:]}"
        report = json.loads(report_path.read_text())
        if report.get("runtimeError"):
            continue
        return report
    raise AssertionError(f"lighthouse failed three times on {url}:\n{done.stderr[-2000:]}")


def failing_audits(report, category):
    """The audits that cost a category points, for the failure message."""
    audits = report["audits"]
    lines = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        if ref["weight"] and audit.get("score") is not None and audit["score"] < 1:
            shown = audit.get("displayValue", "")
            lines.append(f"    {ref['id']} score={audit['score']} {shown}: {audit['title']}")
    return lines


def test_lighthouse_scores(site):
    require_service(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM}")
    require_node_tool(LIGHTHOUSE_BIN, "lighthouse")
    out = ARTIFACTS / "lighthouse"
    out.mkdir(parents=True, exist_ok=True)
    scores, problems = {}, []
    for name, path in LIGHTHOUSE_PAGES.items():
        started = time.monotonic()
        report = lighthouse(site + path, out / f"{name}.report.json")
        score = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
        if score["performance"] < MIN_SCORE:
            # The performance score is a timing, and timings are noisy on a busy
            # 2-core runner: like Lighthouse CI, judge the better of two runs.
            second = lighthouse(site + path, out / f"{name}.rerun.report.json")
            if second["categories"]["performance"]["score"] > report["categories"]["performance"]["score"]:
                report = second
                score = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
        scores[name] = {**score, "seconds": round(time.monotonic() - started, 1)}
        print(f"lighthouse {path}: {scores[name]}")
        for category in CATEGORIES:
            if score[category] < MIN_SCORE:
                problems.append(f"{path} {category}={score[category]}")
                problems.extend(failing_audits(report, category))
    (ARTIFACTS / "lighthouse.json").write_text(json.dumps(scores, indent=2) + "\n")
    assert not problems, "Lighthouse below {}:\n{}".format(MIN_SCORE, "\n".join(problems))


def test_key_pages_are_valid_html(db, client, settings, tmp_path):
    require_node_tool(VNU_JAR, "vnu-jar")
    require_java()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_catalogue()
    files = {}
    for name, (path, status) in HTML_PAGES.items():
        response = client.get(path)
        assert response.status_code == status, f"{path}: HTTP {response.status_code}"
        files[name] = tmp_path / f"{name}.html"
        files[name].write_bytes(response.content)
    command = [shutil.which("java"), "-jar", str(VNU_JAR), "--format", "json", "--stdout"]
    command.append("--exit-zero-always")
    done = subprocess.run(  # noqa: S603 - fixed command over files this test wrote
        [*command, *map(str, files.values())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    messages = json.loads(done.stdout)["messages"]
    paths = {f.name: HTML_PAGES[name][0] for name, f in files.items()}
    errors = {}  # one line per page and message, with how often it occurs
    for m in messages:
        if m["type"] in ("error", "non-document-error") or m.get("subType") == "fatal":
            page = paths.get(m.get("url", "").rsplit("/", 1)[-1], m.get("url"))
            key = f"{page}: {m['message']}"
            count, line, extract = errors.get(key, (0, m.get("lastLine"), m.get("extract", "").strip()))
            errors[key] = (count + 1, line, extract)
    errors = [
        f"{key} ({count}x, first at line {line}: {extract!r})"
        for key, (count, line, extract) in errors.items()
    ]
    assert not errors, "Nu Html Checker errors:\n" + "\n".join(errors)
