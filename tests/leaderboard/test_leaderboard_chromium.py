"""The HTML report in a real browser: headless Chromium loads it and finds the tables and decoded images.

Needs the ``chromium`` binary (Debian: ``apt-get install -y chromium``); skipped with that reason without it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from lb_toys import TOY, toy_suite

from tactica.leaderboard import ResultStore, build_plan, html_report, run_jobs
from tactica.leaderboard import suites as suites_module

CHROMIUM = next(
    (
        p
        for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
        if p and Path(p).exists()
    ),
    None,
)

# Appended to a copy of the page: after load, write what the browser rendered into the DOM that --dump-dom prints.
PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images).map(i => `${i.alt}:${i.complete}:${i.naturalWidth}x${i.naturalHeight}`);
  const tables = Array.from(document.querySelectorAll("table")).map(t => t.rows.length);
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({images, tables});
  document.body.appendChild(probe);
});
</script>"""


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)")
def test_report_renders_tables_and_images_in_headless_chromium(tmp_path, monkeypatch):
    import json

    monkeypatch.setitem(
        suites_module.SWEEPS, TOY, suites_module.Sweep("difficulty", (0, 2, 4), "toy difficulty")
    )
    with ResultStore(tmp_path / "lb.sqlite") as store:
        run_jobs(build_plan(toy_suite(episodes=4), llm="").jobs(), store)
        page = html_report(store.records())
    path = tmp_path / "report.html"
    path.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=5000",
                "--dump-dom",
                path.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, f"the page did not load in Chromium: {dom[:500]}"
    probe = json.loads(found.group(1).replace("&quot;", '"'))
    # the overview table (header + 1 env) and the toy's results table (header + 3 difficulties x its agents:
    # random and lb-first, and any agent another room registers for every environment)
    overview, results = probe["tables"]
    assert overview == 2 and results >= 7 and (results - 1) % 3 == 0
    assert [entry.split(":")[0] for entry in probe["images"]] == [
        f"{TOY} mean return",
        f"{TOY} win rate against difficulty",
    ]
    for entry in probe["images"]:
        _, complete, size = entry.rsplit(":", 2)
        width, height = map(int, size.split("x"))
        assert complete == "true" and width > 100 and height > 100  # decoded PNGs, not broken images
