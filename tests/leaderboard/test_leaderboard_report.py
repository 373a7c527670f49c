"""Report statistics against hand-computed values, grouping, throughput, and the HTML page's content."""

from __future__ import annotations

import base64
import math
import re

import pytest

from tactica.leaderboard import Record, Stat, env_throughput, html_report, summarize
from tactica.leaderboard.report import difficulty_axis, rich_tables, win_metric


def _record(env_id="Toy-v0", agent="random", seed=0, ret=1.0, length=4, seconds=0.5, options=None, **metrics):
    return Record(
        key=f"{env_id}-{agent}-{seed}-{options}",
        env_id=env_id,
        env_options=options or {},
        agent=agent,
        agent_kwargs={},
        agent_version="",
        seed=seed,
        episode=seed,
        tactica_version="0.1.0",
        returns={"agent": ret},
        mean_return=ret,
        length=length,
        metrics=metrics,
        seconds=seconds,
        finished_at=0.0,
    )


def test_stat_is_mean_and_student_t_half_width():
    # [1, 2, 3]: mean 2, sample sd 1, t_{0.975, 2} = 4.302652729911275, half-width 4.3027 / sqrt(3)
    stat = Stat.of([1, 2, 3])
    assert stat.mean == 2.0 and stat.n == 3
    assert stat.half_width == pytest.approx(2.4841377118, abs=1e-9)
    assert (stat.low, stat.high) == pytest.approx((2 - 2.4841377118, 2 + 2.4841377118))
    assert Stat.of([5.0, 5.0]).half_width == 0.0
    one = Stat.of([7.0])
    assert one.mean == 7.0 and math.isnan(one.half_width) and one.text() == "7"
    assert Stat.of([]).text() == "-"
    assert Stat.of([1, 2, 3]).to_dict() == {
        "mean": 2.0,
        "low": pytest.approx(2 - 2.4841377118),
        "high": pytest.approx(2 + 2.4841377118),
        "ci95": pytest.approx(2.4841377118),
        "n": 3,
    }


def test_win_loss_outcomes_get_the_wilson_interval_inside_0_1():
    # Wilson 95% intervals from the closed form (z = 1.959964): 2 of 4 -> [0.1500, 0.8500],
    # 2 of 3 -> [0.2077, 0.9385], 3 of 3 -> [0.4385, 1], 0 of 3 -> [0, 0.5615]
    assert (Stat.of([0, 1, 1, 0]).low, Stat.of([0, 1, 1, 0]).high) == pytest.approx(
        (0.15004, 0.84996), abs=1e-4
    )
    two_of_three = Stat.of([1, 1, 0])  # was 0.667 ± 1.434 with a t interval
    assert (two_of_three.low, two_of_three.high) == pytest.approx((0.20765, 0.93849), abs=1e-4)
    assert two_of_three.text() == "0.667 [0.208, 0.939]"
    assert (Stat.of([1, 1, 1]).low, Stat.of([1, 1, 1]).high) == pytest.approx((0.43850, 1.0), abs=1e-4)
    assert (Stat.of([0, 0, 0]).low, Stat.of([0, 0, 0]).high) == pytest.approx((0.0, 0.56150), abs=1e-4)


def test_intervals_are_clipped_to_the_metrics_range():
    rate = Stat.of([0.1, 0.9, 0.6], bounds=(0, 1))  # t interval [-0.53, 1.60] clipped
    assert rate.low == 0.0 and rate.high == 1.0 and rate.mean == pytest.approx(1.6 / 3)
    count = Stat.of([0.0, 0.0, 3.0], bounds=(0, None))
    assert count.low == 0.0 and count.high == pytest.approx(
        1 + 4.302652729911275 * math.sqrt(3) / math.sqrt(3)
    )
    assert "[" in rate.text() and "±" not in rate.text()


def test_summarize_groups_by_env_options_agent():
    records = [
        _record(seed=0, ret=1.0, win=True),
        _record(seed=1, ret=3.0, win=False),
        _record(agent="greedy", seed=0, ret=2.0, win=True),
        _record(options={"difficulty": 2}, seed=0, ret=0.0, win=False, note="text is skipped"),
    ]
    rows = summarize(records)
    assert [(r.env_options, r.agent, r.episodes) for r in rows] == [
        ({"difficulty": 2}, "random", 1),
        ({}, "greedy", 1),
        ({}, "random", 2),
    ]
    random_row = rows[2]
    assert random_row.mean_return.mean == 2.0
    assert random_row.metrics["win"].mean == 0.5
    assert "note" not in rows[0].metrics
    assert random_row.steps_per_second == pytest.approx(8 / 1.0)
    assert random_row.to_dict()["metrics"]["win"]["n"] == 2


def test_throughput_per_environment():
    records = [
        _record(length=10, seconds=0.5),
        _record(seed=1, length=30, seconds=1.5),
        _record("B-v0", length=5),
    ]
    assert env_throughput(records) == {
        "B-v0": {"episodes": 1, "steps": 5, "seconds": 0.5, "steps_per_second": 10.0},
        "Toy-v0": {"episodes": 2, "steps": 40, "seconds": 2.0, "steps_per_second": 20.0},
    }


def test_win_metric_and_difficulty_axis():
    rows = summarize([_record(options={"difficulty": d, "map": "8m"}, battle_won=True) for d in (1, 3)])
    assert win_metric(rows) == "battle_won"
    assert difficulty_axis(rows) == "difficulty"
    assert difficulty_axis(rows, "map") is None  # not varied
    assert difficulty_axis(summarize([_record()])) is None
    assert win_metric(summarize([_record(score=1)])) is None


def _sweep_records():
    records = []
    for difficulty, wins in ((0, [1, 1, 1, 0]), (2, [1, 0, 0, 0]), (4, [0, 0, 0, 0])):
        for seed, won in enumerate(wins):
            for agent in ("random", "greedy"):
                records.append(
                    _record(
                        agent=agent,
                        seed=seed,
                        ret=float(won),
                        options={"difficulty": difficulty},
                        win=bool(won),
                    )
                )
    return records


def test_html_report_is_self_contained_with_tables_and_plots():
    page = html_report(_sweep_records(), notes=["LLM agents skipped"])
    assert page.startswith("<!DOCTYPE html>")
    assert 'id="overview"' in page and page.count('class="results"') == 1
    assert "LLM agents skipped" in page
    assert not re.search(r"""(src|href)=["'](https?:|//)""", page)  # nothing fetched from outside
    images = re.findall(r'<img class="plot" alt="([^"]*)" src="data:image/png;base64,([^"]+)"', page)
    assert [alt for alt, _ in images] == ["Toy-v0 mean return", "Toy-v0 win rate against difficulty"]
    for _, data in images:
        assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")
    # the rows of the table: 3 difficulties x 2 agents, win rate 0.75 for difficulty 0
    assert page.count('<tr><td class="text">difficulty=') == 6
    assert '0.75<br><span class="ci">[0.301, 0.954]' in page


def test_rich_tables_one_per_environment():
    from rich.console import Console

    tables = rich_tables(summarize(_sweep_records() + [_record("B-v0")]), env_throughput(_sweep_records()))
    assert [t.title.split()[0] for t in tables] == ["B-v0", "Toy-v0"]
    console = Console(record=True, width=160)
    console.print(tables[1])
    text = console.export_text()
    assert "difficulty=4" in text and "win" in text and "0.75 [0.301, 0.954]" in text


def test_report_shows_frames_of_each_environment_with_pictures():
    import io

    from PIL import Image

    records = [
        _record("MarkovGame-v0", "random", seed, 1.0, 10, options={"game": "prisoners_dilemma"})
        for seed in range(2)
    ]
    page = html_report(records)
    (data,) = re.findall(
        r'<img class="strip" alt="MarkovGame-v0: frames of a seeded episode" src="data:image/png;base64,([^"]+)"',
        page,
    )
    strip = Image.open(io.BytesIO(base64.b64decode(data)))
    assert strip.size == (4 * 480 + 3 * 8, 320)  # start, two moments between, end of a 10-step episode
    assert "tactica play MarkovGame-v0 --agent random --record run.gif" in page
    assert 'class="strip"' not in html_report(records, pictures=False)
    # an environment without pictures (the toys) or not registered here gets none, and the page is still made
    assert 'class="strip"' not in html_report(_sweep_records())


def test_wilson_interval_holds_the_proportion_despite_rounding():
    # p = 1 gave an upper end of 1 - 1e-16 below the mean: a negative error bar that matplotlib refuses
    for n in range(1, 200):
        for wins in (0, n):
            stat = Stat.of([1.0] * wins + [0.0] * (n - wins))
            assert stat.n < 2 or stat.low <= stat.mean <= stat.high
