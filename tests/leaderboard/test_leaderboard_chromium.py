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


def _chromium(page_path: Path, *extra: str) -> str:
    """Load a page in headless Chromium (a 1280 x 900 window) and return the DOM after load."""
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                "--window-size=1280,900",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=5000",
                *extra,
                page_path.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout


# After load: does every results table fit its container (no horizontal scrolling), and how big is each image?
FIT_PROBE = """<script>
window.addEventListener("load", () => {
  const fits = Array.from(document.querySelectorAll(".scroll")).map(d => [d.scrollWidth, d.clientWidth]);
  const images = Array.from(document.images).map(i => [i.alt, i.naturalWidth, i.naturalHeight, i.width, i.height]);
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({fits, images, page: document.documentElement.scrollWidth});
  document.body.appendChild(probe);
});
</script>"""


def _wide_records() -> list:
    """20 agents x 3 episodes of an environment with 12 long-named metrics and long option values."""
    from tactica.leaderboard import Record

    names = [f"metric_with_a_rather_long_name_{k}" for k in range(12)]
    records = []
    for agent in range(20):
        for seed in range(3):
            records.append(
                Record(
                    key=f"wide-{agent}-{seed}",
                    env_id="WideToy-v0",
                    env_options={"scenario": "a-long-scenario-name-" + "x" * 30, "variant": agent % 2},
                    agent=f"agent-number-{agent:02d}-with-a-long-name",
                    agent_kwargs={},
                    agent_version="",
                    seed=seed,
                    episode=seed,
                    tactica_version="0.1.0",
                    returns={"agent": 1000.0 * agent + 123.456 * seed},
                    mean_return=1000.0 * agent + 123.456 * seed,
                    length=100 + seed,
                    metrics={name: 12345.678 * (k + 1) * (seed + 1) for k, name in enumerate(names)},
                    seconds=1.0,
                    finished_at=0.0,
                )
            )
    return records


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)")
def test_wide_table_fits_and_a_20_row_chart_stays_readable(tmp_path):
    import json

    page = html_report(_wide_records())
    path = tmp_path / "wide.html"
    path.write_text(page.replace("</body>", FIT_PROBE + "</body>"), encoding="utf-8")
    found = re.search(r'<pre id="probe">(.*?)</pre>', _chromium(path, "--dump-dom"), re.S)
    assert found, "the page did not load in Chromium"
    probe = json.loads(found.group(1).replace("&quot;", '"'))
    assert probe["page"] <= 1280  # nothing pushes the page sideways
    for scroll_width, client_width in probe["fits"]:
        assert scroll_width <= client_width + 1  # every table fits: no metric column off-screen
    ((alt, natural_w, natural_h, shown_w, shown_h),) = probe["images"]
    assert alt == "WideToy-v0 mean return"
    assert shown_h / 20 >= 14  # at least 14 screen pixels per bar row: labels do not overlap
    assert shown_w <= 1280
    # and a screenshot of the page, as a reader would see it
    shot = tmp_path / "wide.png"
    _chromium(path, f"--screenshot={shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


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


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)")
def test_report_frames_are_decoded_and_fit_the_page(tmp_path):
    import json

    from tactica.leaderboard import Record

    records = [
        Record(
            key=f"smac-{seed}",
            env_id="SMAC-v2",
            env_options={"map_name": "3m"},
            agent="random",
            agent_kwargs={},
            agent_version="",
            seed=seed,
            episode=seed,
            tactica_version="0.1.0",
            returns={"marine_0": 1.0},
            mean_return=1.0,
            length=20,
            metrics={"battle_won": 0},
            seconds=1.0,
            finished_at=0.0,
        )
        for seed in range(2)
    ]
    path = tmp_path / "frames.html"
    path.write_text(html_report(records).replace("</body>", FIT_PROBE + "</body>"), encoding="utf-8")
    found = re.search(r'<pre id="probe">(.*?)</pre>', _chromium(path, "--dump-dom"), re.S)
    assert found, "the page did not load in Chromium"
    probe = json.loads(found.group(1).replace("&quot;", '"'))
    assert probe["page"] <= 1280
    strips = [image for image in probe["images"] if image[0] == "SMAC-v2: frames of a seeded episode"]
    ((_, natural_w, natural_h, shown_w, shown_h),) = strips
    assert (natural_w, natural_h) == (4 * 480 + 3 * 8, 320)  # decoded, four frames side by side
    assert shown_w <= 1280 and shown_h >= 150  # scaled to the page, each frame still about 300 x 200
    shot = tmp_path / "frames.png"
    _chromium(path, f"--screenshot={shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
