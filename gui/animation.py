"""Write frames (QImages) to an animated GIF or MP4, streamed and atomic; record the Lab into one.

GIF frames are encoded one at a time with Pillow's GIF helpers (`getheader`/`getdata`), so memory
stays at one frame whatever the length (Pillow's `save_all`, and imageio's Pillow plugin on top of
it, keep every frame until the end). MP4 goes through imageio's FFMPEG plugin when imageio-ffmpeg is
installed. Either way the file is written under a temporary name in the destination folder and
renamed at the end; a cancel or any error removes it.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
from PIL import GifImagePlugin, Image
from PySide6.QtGui import QImage

from gui.export.atomic import make_temp_beside

ANIMATION_SUFFIXES = (".gif", ".mp4")
MAX_GIF_FPS = 50          # browsers and viewers slow frames shorter than 20 ms down to 100 ms
MAX_MP4_FPS = 120
MIN_SIZE, MAX_SIZE = 16, 4096
ADVANCE_CHUNK = 250       # most steps trained between two cancel checks while recording


class AnimationError(ValueError):
    """An animation cannot be written (bad path, extension, settings or encoder); one sentence."""


class AnimationCancelled(Exception):
    """The user cancelled the recording; no file was left behind."""


class RecordableLab(Protocol):
    """The part of gui.lab.lab_view.LabView that recording uses."""

    def advance(self, n_steps: int) -> None: ...
    def render_image(self, width: int, height: int) -> QImage: ...
    def is_running(self) -> bool: ...
    def pause(self) -> None: ...
    def play(self) -> None: ...


def mp4_available() -> bool:
    """True when imageio can encode MP4 (the imageio-ffmpeg package is installed)."""
    return importlib.util.find_spec("imageio_ffmpeg") is not None


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """(h, w, 3) uint8 copy of a QImage; translucent pixels are composited on white."""
    rgba_image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    width, height, stride = rgba_image.width(), rgba_image.height(), rgba_image.bytesPerLine()
    # Rows may be padded: view the buffer with its real stride, then drop the padding.
    raw = np.frombuffer(rgba_image.constBits(), dtype=np.uint8, count=stride * height)
    rgba = raw.reshape(height, stride)[:, : width * 4].reshape(height, width, 4)
    alpha = rgba[..., 3:4]
    if alpha.min() == 255:
        return rgba[..., :3].copy()
    weight = alpha.astype(np.float32) / 255.0
    blended = rgba[..., :3].astype(np.float32) * weight + 255.0 * (1.0 - weight)
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def check_animation_path(path: str | os.PathLike[str], fps: int) -> Path:
    """Validate the destination's extension, folder and frame rate; return it as a Path."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise AnimationError(f"Animation files must end in .gif or .mp4, not '{target.name}'.")
    if suffix == ".mp4" and not mp4_available():
        raise AnimationError("MP4 needs imageio-ffmpeg (pip install imageio-ffmpeg); use .gif.")
    limit = MAX_GIF_FPS if suffix == ".gif" else MAX_MP4_FPS
    if not 1 <= int(fps) <= limit:
        raise AnimationError(f"The frame rate must be between 1 and {limit} fps for {suffix}.")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise AnimationError(f"The folder '{folder}' does not exist.")
    return target


def write_animation(frames: Iterable[QImage], path: str | os.PathLike[str], fps: int,
                    progress: Callable[[int], None] | None = None,
                    cancelled: Callable[[], bool] | None = None) -> int:
    """Stream QImages (all the same size) to a .gif/.mp4 file atomically; return the frame count.

    `progress(n)` is called after the n-th frame is written; `cancelled()` is checked before each
    frame and, when True, the partial file is removed and AnimationCancelled is raised.
    """
    target = check_animation_path(path, fps)
    suffix = target.suffix.lower()
    try:
        handle, temp_path = make_temp_beside(target, suffix)
    except OSError as exc:
        raise AnimationError(f"Cannot write to '{target.parent}': {exc.strerror}.") from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            encode = _encode_gif if suffix == ".gif" else _encode_mp4
            count = encode(_checked_frames(frames, progress, cancelled), stream, temp_path, fps)
        if count == 0:
            raise AnimationError("An animation needs at least one frame.")
        os.replace(temp_path, target)
    except AnimationCancelled:
        temp_path.unlink(missing_ok=True)
        raise
    except OSError as exc:
        temp_path.unlink(missing_ok=True)
        raise AnimationError(f"Cannot write '{target}': {exc.strerror or exc}.") from exc
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return count


def record_lab_animation(lab_view: RecordableLab, path: str | os.PathLike[str], steps: int,
                         frames: int, fps: int, width: int, height: int,
                         progress: Callable[[int], None] | None = None,
                         cancelled: Callable[[], bool] | None = None) -> int:
    """Train the Lab `steps` steps in total, capturing `frames` images (width×height) evenly.

    Before frame i the lab advances so that after the last frame exactly `steps` steps have run.
    A running lab is paused while recording and resumed afterwards. Returns the frame count.
    """
    if frames < 1:
        raise AnimationError("An animation needs at least one frame.")
    if steps < 0:
        raise AnimationError("The number of training steps cannot be negative.")
    for name, value in (("width", width), ("height", height)):
        if not MIN_SIZE <= value <= MAX_SIZE:
            raise AnimationError(f"The frame {name} must be between {MIN_SIZE} and {MAX_SIZE} "
                                 f"pixels, not {value}.")
    check_animation_path(path, fps)

    def captures() -> Iterator[QImage]:
        for index in range(frames):
            remaining = (index + 1) * steps // frames - index * steps // frames
            # Long gaps between frames train in chunks so a cancel is noticed within one chunk.
            while remaining > ADVANCE_CHUNK:
                lab_view.advance(ADVANCE_CHUNK)
                remaining -= ADVANCE_CHUNK
                if cancelled is not None and cancelled():
                    raise AnimationCancelled("Recording cancelled.")
            lab_view.advance(remaining)
            yield lab_view.render_image(width, height)

    was_running = lab_view.is_running()
    if was_running:
        lab_view.pause()
    try:
        return write_animation(captures(), path, fps, progress, cancelled)
    finally:
        if was_running:
            lab_view.play()


def _checked_frames(frames: Iterable[QImage], progress: Callable[[int], None] | None,
                    cancelled: Callable[[], bool] | None) -> Iterator[np.ndarray]:
    """RGB arrays of the frames, checking cancel before each one and reporting after it."""
    size: tuple[int, int] | None = None
    iterator = iter(frames)
    index = 0
    while True:
        if cancelled is not None and cancelled():
            raise AnimationCancelled("Recording cancelled.")
        try:
            image = next(iterator)
        except StopIteration:
            return
        if image.isNull():
            raise AnimationError(f"Frame {index + 1} is empty.")
        if size is None:
            size = (image.width(), image.height())
        elif (image.width(), image.height()) != size:
            raise AnimationError(f"Frame {index + 1} is {image.width()}×{image.height()}, but "
                                 f"the animation is {size[0]}×{size[1]}; all frames must match.")
        yield qimage_to_rgb(image)
        index += 1
        if progress is not None:
            progress(index)


def _encode_gif(frames: Iterator[np.ndarray], stream: BinaryIO, temp_path: Path, fps: int) -> int:
    """Write a looping GIF frame by frame (each frame with its own 256-colour palette)."""
    # GIF delays are in 1/100 s; round here rather than let Pillow truncate.
    duration_ms = max(2, round(100 / fps)) * 10
    count = 0
    for rgb in frames:
        frame = Image.fromarray(rgb).quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        if count == 0:
            header, _ = GifImagePlugin.getheader(frame, info={"loop": 0, "duration": duration_ms})
            stream.write(b"".join(header))
        for chunk in GifImagePlugin.getdata(frame, duration=duration_ms, disposal=1,
                                             include_color_table=True):
            stream.write(chunk)
        count += 1
    if count:
        stream.write(b";")  # GIF trailer
    return count


def _encode_mp4(frames: Iterator[np.ndarray], stream: BinaryIO, temp_path: Path, fps: int) -> int:
    """Write an H.264 MP4 through imageio's FFMPEG plugin (frames cropped to even sizes)."""
    import imageio.v2 as imageio_v2

    stream.close()  # ffmpeg writes the temp file by name
    writer: Any = imageio_v2.get_writer(temp_path, format="FFMPEG", mode="I", fps=fps,
                                        codec="libx264", macro_block_size=2, quality=8)
    count = 0
    try:
        for rgb in frames:
            height, width = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
            writer.append_data(np.ascontiguousarray(rgb[:height, :width]))
            count += 1
    finally:
        writer.close()
    return count
