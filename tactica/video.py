"""Videos of episodes from ``rgb_array`` frames: GIF with Pillow (always there), MP4 with imageio-ffmpeg or moviepy.

:class:`FrameRecorder` collects the frames of one or more episodes as ``tactica play --record`` and the
leaderboard report do; :func:`save_video` writes them.  The conventions are Gymnasium's ``RecordVideo``: the
frame rate is the environment's ``metadata["render_fps"]`` (30 when it has none), and several episodes go to
one file each, ``NAME-episode-K.EXT``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tactica.errors import MissingDependency

__all__ = ["FORMATS", "FrameRecorder", "episode_path", "save_video", "check_video_path"]

FORMATS = (".gif", ".mp4")
DEFAULT_FPS = 30  # gymnasium.wrappers.RecordVideo's default when the metadata names none


def check_video_path(path: str | Path) -> Path:
    """``path`` if it names a .gif or .mp4 file in an existing folder, else a ValueError saying what is accepted.

    MP4 also needs an encoder: a missing one raises :class:`MissingDependency` here, before any episode runs.
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"a video path must end in {' or '.join(FORMATS)}; got {str(path)!r}")
    if not path.parent.is_dir():
        raise ValueError(f"the folder of {str(path)!r} does not exist")
    if path.suffix.lower() == ".mp4":
        _mp4_writer()
    return path


def episode_path(path: str | Path, episode: int, episodes: int) -> Path:
    """The file of episode ``episode``: ``path`` itself for a single episode, else ``NAME-episode-K.EXT``."""
    path = Path(path)
    return path if episodes == 1 else path.with_name(f"{path.stem}-episode-{episode}{path.suffix}")


def _frames(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    if not frames:
        raise ValueError("no frames to save")
    checked = []
    for frame in frames:
        array = np.asarray(frame)
        if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
            raise ValueError(
                f"frames must be uint8 arrays of shape (H, W, 3), got {array.dtype} {array.shape}"
            )
        if array.shape != np.shape(frames[0]):
            raise ValueError(
                f"every frame must have the first frame's shape {np.shape(frames[0])}, got {array.shape}"
            )
        checked.append(array)
    return checked


def save_video(frames: Sequence[np.ndarray], path: str | Path, fps: float = DEFAULT_FPS) -> Path:
    """Write ``frames`` (uint8 ``(H, W, 3)``) to ``path`` (.gif or .mp4) at ``fps`` frames per second."""
    path = check_video_path(path)
    frames = _frames(frames)
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps!r}")
    if path.suffix.lower() == ".gif":
        from PIL import Image

        images = [Image.fromarray(frame) for frame in frames]
        # GIF delays are in hundredths of a second: Pillow takes milliseconds and rounds them
        images[0].save(
            path, save_all=True, append_images=images[1:], duration=max(round(1000 / fps), 20), loop=0
        )
    else:
        _mp4_writer()(frames, path, fps)
    return path


def _mp4_writer():
    """The function that writes MP4 here: imageio-ffmpeg's (its own ffmpeg binary), else moviepy's."""
    try:
        import imageio_ffmpeg
    except ImportError:
        imageio_ffmpeg = None
    if imageio_ffmpeg is not None:

        def write(frames: list[np.ndarray], path: Path, fps: float) -> None:
            height, width = frames[0].shape[:2]
            writer = imageio_ffmpeg.write_frames(
                str(path),
                (width, height),
                fps=fps,
                codec="libx264",
                pix_fmt_out="yuv420p",
                macro_block_size=1,
            )
            writer.send(None)  # start the encoder
            for frame in frames:
                writer.send(np.ascontiguousarray(frame))
            writer.close()

        return write
    try:
        from moviepy import ImageSequenceClip
    except ImportError:
        raise MissingDependency("imageio-ffmpeg", "video", "MP4 videos (or record a .gif)") from None

    def write_moviepy(frames: list[np.ndarray], path: Path, fps: float) -> None:
        ImageSequenceClip(list(frames), fps=fps).write_videofile(str(path), logger=None)

    return write_moviepy


class FrameRecorder:
    """Collects the ``rgb_array`` frames of consecutive episodes and writes each episode to its own file.

    ``every`` keeps one frame in ``every`` (a long TextSC2 game at one frame per step makes a large file); the
    last frame of an episode is always kept.
    """

    def __init__(self, path: str | Path, episodes: int = 1, fps: float | None = None, every: int = 1):
        self.path = check_video_path(path)
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        self.episodes = int(episodes)
        self.fps = fps
        self.every = every
        self.frames: list[np.ndarray] = []
        self.written: list[Path] = []
        self._seen = 0
        self._pending: np.ndarray | None = None  # the latest frame not kept (yet)

    def __call__(self, frame: object) -> None:
        """Take one frame (``on_render`` of :func:`tactica.rollout.run_episode`)."""
        if not isinstance(frame, np.ndarray):
            raise ValueError("recording needs rgb_array frames; this environment rendered something else")
        if self._seen % self.every == 0:
            self.frames.append(frame)
            self._pending = None
        else:
            self._pending = frame
        self._seen += 1

    def end_episode(self, fps: float | None = None) -> Path:
        """Write the episode's frames (at ``self.fps``, else ``fps``, else 30) and start the next episode."""
        if self._pending is not None:
            self.frames.append(self._pending)
        target = episode_path(self.path, len(self.written), self.episodes)
        rate = self.fps or fps or DEFAULT_FPS
        save_video(self.frames, target, rate)
        self.written.append(target)
        self.frames, self._seen, self._pending = [], 0, None
        return target
