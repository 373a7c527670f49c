"""``tactica play ID --record FILE``: a playable video of each episode."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from tactica.cli.main import main
from tactica.video import FrameRecorder, episode_path, save_video


def _play(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["play", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_record_gif_has_one_frame_per_step_and_the_env_frame_rate(tmp_path, capsys):
    from PIL import Image

    target = tmp_path / "pd.gif"
    code, out, _ = _play(
        capsys,
        "MarkovGame-v0",
        "--opt",
        "game=prisoners_dilemma",
        "--opt",
        "horizon=6",
        "--record",
        str(target),
        "--json",
    )
    assert code == 0
    result = json.loads(out)["episodes"][0]
    assert result["video"] == str(target) and result["length"] == 6
    with Image.open(target) as gif:
        assert gif.format == "GIF" and gif.size == (480, 320)
        assert gif.n_frames == 7  # the reset and each of the 6 steps
        assert gif.info["duration"] == 500  # MarkovGame-v0's render_fps is 2
        gif.seek(6)
        assert np.asarray(gif.convert("RGB")).std() > 0


def test_several_episodes_get_one_file_each_as_record_video_names_them(tmp_path, capsys):
    target = tmp_path / "battle.gif"
    code, out, _ = _play(
        capsys, "SMAC-v2", "--episodes", "2", "--record", str(target), "--record-every", "4", "--fps", "5"
    )
    assert code == 0
    written = [tmp_path / "battle-episode-0.gif", tmp_path / "battle-episode-1.gif"]
    assert all(path.is_file() for path in written) and not target.exists()
    assert "video: " + str(written[1]) in out


def test_record_mp4(tmp_path, capsys):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    target = tmp_path / "lake.mp4"
    code, _, _ = _play(
        capsys,
        "MarkovGame-v0",
        "--opt",
        "game=matching_pennies",
        "--opt",
        "horizon=4",
        "--record",
        str(target),
    )
    assert code == 0
    reader = imageio_ffmpeg.read_frames(str(target))
    meta = next(reader)
    assert tuple(meta["size"]) == (480, 320) and meta["fps"] == 2
    assert sum(1 for _ in reader) == 5


def test_mp4_without_an_encoder_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "moviepy", None)
    code, _, err = _play(capsys, "MarkovGame-v0", "--record", str(tmp_path / "x.mp4"))
    assert code == 2
    assert err.count("\n") == 1 and 'pip install "tactica[video]"' in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["SMAC-v2", "--record", "run.avi"], "must end in .gif or .mp4"),
        (["SMAC-v2", "--record", "no/such/folder/run.gif"], "does not exist"),
        (["SMAC-v2", "--record", "run.gif", "--render", "ansi"], "not both"),
        (["--all", "--record", "run.gif"], "records one environment"),
        (["SMAC-v2", "--record", "run.gif", "--record-every", "0"], "--record-every"),
    ],
)
def test_record_bad_input_is_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = _play(capsys, *argv)
    assert code == 2 and message in err and err.count("\n") == 1


def test_recorder_keeps_every_kth_frame_and_the_last(tmp_path):
    from PIL import Image

    recorder = FrameRecorder(tmp_path / "v.gif", every=3)
    for k in range(7):
        recorder(np.full((16, 16, 3), 30 * k, np.uint8))
    (path,) = [recorder.end_episode(fps=10)]
    with Image.open(path) as gif:
        shades = []
        for index in range(gif.n_frames):
            gif.seek(index)
            shades.append(int(np.asarray(gif.convert("RGB"))[0, 0, 0]))
    assert shades == [0, 90, 180]  # frames 0, 3 and 6 (the last)
    assert (
        episode_path("v.gif", 0, 1).name == "v.gif" and episode_path("v.gif", 2, 3).name == "v-episode-2.gif"
    )


def test_save_video_refuses_frames_of_other_shapes(tmp_path):
    with pytest.raises(ValueError, match="first frame's shape"):
        save_video([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9, 3), np.uint8)], tmp_path / "a.gif")
    with pytest.raises(ValueError, match="uint8"):
        save_video([np.zeros((8, 8, 3))], tmp_path / "a.gif")
