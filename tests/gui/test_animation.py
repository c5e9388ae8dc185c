"""Animation writing: GIF frames read back, atomic failure paths, Lab recording."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QColor, QImage, QPainter

from gui.animation import (
    AnimationCancelled,
    AnimationError,
    mp4_available,
    qimage_to_rgb,
    record_lab_animation,
    write_animation,
)

WIDTH, HEIGHT = 101, 67   # odd width: QImage rows are padded, so the stride handling is exercised


def moving_square(index: int, width: int = WIDTH, height: int = HEIGHT) -> QImage:
    """White frame with a red square whose x position encodes the frame index."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.fillRect(5 + 12 * index, 20, 10, 10, QColor(200, 30, 30))
    painter.end()
    return image


def test_qimage_to_rgb_handles_stride_and_alpha(qapp):
    image = QImage(3, 2, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 255, 255))
    image.setPixelColor(1, 0, QColor(255, 0, 0, 255))
    image.setPixelColor(2, 1, QColor(0, 0, 0, 0))        # fully transparent -> white
    assert image.bytesPerLine() == 12
    rgb = qimage_to_rgb(image.convertToFormat(QImage.Format.Format_RGB888))  # 9-byte rows, padded
    assert rgb.shape == (2, 3, 3)
    assert rgb[0, 1].tolist() == [255, 0, 0]
    assert rgb[1, 0].tolist() == [0, 0, 255]
    rgb_alpha = qimage_to_rgb(image)
    assert rgb_alpha[1, 2].tolist() == [255, 255, 255]
    assert rgb_alpha[0, 0].tolist() == [0, 0, 255]


def test_gif_round_trip_frames_size_and_content(qapp, tmp_path):
    path = tmp_path / "run.gif"
    seen = []
    count = write_animation((moving_square(i) for i in range(6)), path, fps=10,
                            progress=seen.append)
    assert count == 6 and seen == [1, 2, 3, 4, 5, 6]
    frames = iio.imread(path, index=None)
    assert frames.shape == (6, HEIGHT, WIDTH, 3)
    for index, frame in enumerate(frames):
        x = 5 + 12 * index + 5
        assert frame[25, x].tolist() == [200, 30, 30]
        assert frame[5, x].tolist() == [255, 255, 255]
    with Image.open(path) as gif:
        assert gif.n_frames == 6 and gif.size == (WIDTH, HEIGHT)
        assert gif.info["loop"] == 0 and gif.info["duration"] == 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.gif"]


def test_cancel_midway_leaves_no_file(qapp, tmp_path):
    path = tmp_path / "cancelled.gif"
    seen: list[int] = []
    with pytest.raises(AnimationCancelled):
        write_animation((moving_square(i) for i in range(8)), path, fps=10,
                        progress=seen.append, cancelled=lambda: len(seen) >= 3)
    assert seen == [1, 2, 3]
    assert list(tmp_path.iterdir()) == []


def test_existing_file_survives_a_failed_write(qapp, tmp_path):
    path = tmp_path / "keep.gif"
    path.write_bytes(b"previous")
    frames = [moving_square(0), moving_square(1, width=50)]
    with pytest.raises(AnimationError, match="all frames must match"):
        write_animation(frames, path, fps=10)
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.gif"]


def test_unwritable_folder_gives_clear_error(qapp, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    # Root ignores permission bits; /proc refuses new files for everyone.
    target = Path("/proc") if os.geteuid() == 0 else folder
    try:
        with pytest.raises(AnimationError, match="Cannot write"):
            write_animation([moving_square(0)], target / "x.gif", fps=10)
        assert not (target / "x.gif").exists() and list(folder.iterdir()) == []
    finally:
        folder.chmod(stat.S_IRWXU)


def test_full_disk_at_the_end_removes_the_temp_file(qapp, tmp_path, monkeypatch):
    def no_space(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(AnimationError, match="No space left on device"):
        write_animation([moving_square(0), moving_square(1)], tmp_path / "x.gif", fps=10)
    assert list(tmp_path.iterdir()) == []


def test_bad_path_fps_and_empty_input_are_clear_errors(qapp, tmp_path):
    with pytest.raises(AnimationError, match=r"\.gif or \.mp4"):
        write_animation([moving_square(0)], tmp_path / "x.png", fps=10)
    with pytest.raises(AnimationError, match="does not exist"):
        write_animation([moving_square(0)], tmp_path / "missing" / "x.gif", fps=10)
    with pytest.raises(AnimationError, match="between 1 and 50"):
        write_animation([moving_square(0)], tmp_path / "x.gif", fps=0)
    with pytest.raises(AnimationError, match="at least one frame"):
        write_animation([], tmp_path / "x.gif", fps=10)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(mp4_available(), reason="imageio-ffmpeg is installed")
def test_mp4_without_encoder_is_a_clear_error(qapp, tmp_path):
    with pytest.raises(AnimationError, match="MP4 needs imageio-ffmpeg"):
        write_animation([moving_square(0)], tmp_path / "x.mp4", fps=10)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not mp4_available(), reason="imageio-ffmpeg is not installed")
def test_mp4_round_trip_has_every_frame(qapp, tmp_path):
    path = tmp_path / "clip.mp4"
    assert write_animation((moving_square(i) for i in range(6)), path, fps=10) == 6
    frames = iio.imread(path, plugin="FFMPEG", index=None)
    assert frames.shape[0] == 6 and frames.shape[1:3] == (HEIGHT // 2 * 2, WIDTH // 2 * 2)
    # the red square moves right frame by frame (H.264 is lossy: find the reddest column)
    red_columns = [int(np.argmax((f[..., 0].astype(int) - f[..., 1]).max(axis=0))) for f in frames]
    assert red_columns == sorted(red_columns) and red_columns[-1] - red_columns[0] >= 40
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


class FakeLab:
    """Counts steps and draws the step count into each frame (LabView's recording surface)."""

    def __init__(self) -> None:
        self.steps = 0
        self.running = True
        self.advanced: list[int] = []

    def advance(self, n_steps: int) -> None:
        self.advanced.append(n_steps)
        self.steps += n_steps

    def render_image(self, width: int, height: int) -> QImage:
        return moving_square(self.steps // 10, width, height)

    def is_running(self) -> bool:
        return self.running

    def pause(self) -> None:
        self.running = False

    def play(self) -> None:
        self.running = True


def test_record_lab_spreads_steps_and_resumes(qapp, tmp_path):
    lab = FakeLab()
    path = tmp_path / "lab.gif"
    states = []
    count = record_lab_animation(lab, path, steps=50, frames=4, fps=5, width=WIDTH,
                                 height=HEIGHT, progress=lambda n: states.append(lab.running))
    assert count == 4 and sum(lab.advanced) == 50 and len(lab.advanced) == 4
    assert max(lab.advanced) - min(lab.advanced) <= 1
    assert states == [False] * 4 and lab.running          # paused while recording, resumed after
    assert iio.imread(path, index=None).shape == (4, HEIGHT, WIDTH, 3)


def test_record_lab_cancel_stops_training_and_leaves_nothing(qapp, tmp_path):
    lab = FakeLab()
    done: list[int] = []
    with pytest.raises(AnimationCancelled):
        record_lab_animation(lab, tmp_path / "lab.gif", steps=100, frames=10, fps=5, width=64,
                             height=48, progress=done.append, cancelled=lambda: len(done) == 2)
    assert lab.steps == 20 and lab.running
    assert list(tmp_path.iterdir()) == []


def test_record_lab_cancel_inside_a_long_frame(qapp, tmp_path):
    lab = FakeLab()
    checks = []

    def cancel_on_third_check() -> bool:
        checks.append(lab.steps)
        return len(checks) == 3

    with pytest.raises(AnimationCancelled):
        record_lab_animation(lab, tmp_path / "lab.gif", steps=2000, frames=2, fps=5, width=64,
                             height=48, cancelled=cancel_on_third_check)
    assert checks == [0, 250, 500] and lab.steps == 500   # stopped mid-frame, not after 1000
    assert list(tmp_path.iterdir()) == []


def test_record_lab_rejects_bad_sizes_before_training(qapp, tmp_path):
    lab = FakeLab()
    with pytest.raises(AnimationError, match="width"):
        record_lab_animation(lab, tmp_path / "x.gif", 10, 2, 5, width=5, height=48)
    assert lab.steps == 0 and np.all(np.array(lab.advanced) == 0)


def test_record_action_records_with_progress_and_remembers_settings(qtbot, tmp_path,
                                                                    monkeypatch):
    from PySide6.QtWidgets import QMainWindow

    from gui import record_dialog

    window = QMainWindow()
    qtbot.addWidget(window)
    lab = FakeLab()
    action = record_dialog.record_animation_action(window, lab)
    assert action.shortcut().toString() == "Ctrl+Shift+R"
    path = tmp_path / "from the dialog ü.gif"

    def fill_and_accept(dialog):
        dialog.spins["steps"].setValue(30)
        dialog.spins["frames"].setValue(3)
        dialog.spins["width"].setValue(80)
        dialog.spins["height"].setValue(40)
        dialog.path_edit.setText(str(path))
        dialog._accept_if_path_ok()
        return dialog.result()

    monkeypatch.setattr(record_dialog.RecordDialog, "exec", fill_and_accept)
    action.trigger()
    assert lab.steps == 30
    assert iio.imread(path, index=None).shape == (3, 40, 80, 3)
    remembered = record_dialog.RecordDialog(window)
    assert remembered.values()["frames"] == 3 and remembered.path() == path


def test_recording_error_shows_one_message_and_writes_nothing(qtbot, tmp_path, monkeypatch):
    from gui import record_dialog

    messages: list[str] = []
    monkeypatch.setattr(record_dialog.QMessageBox, "warning",
                        lambda parent, title, text: messages.append(text))
    lab = FakeLab()
    ok = record_dialog.run_recording(None, lab, tmp_path / "x.webm", steps=10, frames=2, fps=5,
                                     width=64, height=48)
    assert not ok and len(messages) == 1 and ".gif or .mp4" in messages[0]
    assert lab.steps == 0 and list(tmp_path.iterdir()) == []


def test_record_the_real_lab(qtbot, tmp_path):
    from core.config import ExperimentConfig
    from gui.lab.lab_view import LabView

    lab = LabView()
    qtbot.addWidget(lab)
    lab.set_config(ExperimentConfig(depth=3, width=8, n_samples=200, batch_size=32, seed=1))
    path = tmp_path / "lab.gif"
    count = record_lab_animation(lab, path, steps=30, frames=3, fps=5, width=480, height=300)
    assert count == 3 and lab.trainer.step_count == 30
    frames = iio.imread(path, index=None)
    assert frames.shape == (3, 300, 480, 3)
    assert all(len(np.unique(frame.reshape(-1, 3), axis=0)) > 20 for frame in frames)
    assert np.any(frames[0] != frames[-1])      # training moved the plots
