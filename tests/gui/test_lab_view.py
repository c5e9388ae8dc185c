"""LabView: run controls, presets, divergence banner, field validation, live changes, settings."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import ExperimentConfig
from gui.lab.lab_view import LabView
from gui.settings import app_settings

SMALL = ExperimentConfig(depth=3, width=16, n_samples=200, batch_size=32, dataset="moons")


@pytest.fixture
def lab(qtbot):
    view = LabView()
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    view.set_config(SMALL)
    yield view
    view.shutdown()


def _diagram(lab: LabView):
    return next(v for v in lab.views if type(v).__name__ == "NetworkDiagramView")


def test_step_play_pause_change_the_step_counter(lab, qtbot):
    play, step, reset = lab.menu_actions()[:3]
    step.trigger()
    assert lab.trainer.step_count == 1
    assert "<b>1</b>" in lab.run_bar.step_text()
    play.trigger()
    assert lab.is_running()
    qtbot.waitUntil(lambda: lab.trainer.step_count >= 20, timeout=10000)
    play.trigger()
    assert not lab.is_running()
    stopped_at = lab.trainer.step_count
    qtbot.wait(50)
    assert lab.trainer.step_count == stopped_at
    assert f"<b>{stopped_at:,}</b>" in lab.run_bar.step_text()
    reset.trigger()
    assert lab.trainer.step_count == 0


def test_menu_actions_have_the_documented_shortcuts(lab):
    shortcuts = [a.shortcut().toString() for a in lab.menu_actions()[:3]]
    assert shortcuts == ["Space", "Right", "R"]
    assert all(a.toolTip() for a in lab.menu_actions())


def test_dying_relu_preset_kills_units_in_the_views_data(lab):
    lab.presets.choose("dying-relu")
    assert "dead" in lab.presets.explanation.text().lower()
    lab.advance(200)
    dead = lab.trainer.last.dead_fraction_dataset
    assert dead.max() > 0
    death_targets = [t for v in lab.views for t in v.export_targets()
                     if "dead" in t.title.lower() or "death" in t.title.lower()]
    assert death_targets, "a view exporting dead-unit data"
    header, table = death_targets[0].csv()
    assert np.nanmax(table[:, 1:]) > 0


def test_divergence_pauses_shows_banner_and_reset_recovers(lab, qtbot):
    lab.set_config(SMALL.replace(lr=1e6))
    lab.play()
    qtbot.waitUntil(lambda: not lab.is_running(), timeout=10000)
    assert lab.trainer.diverged
    assert lab.banner.isVisible()
    assert "diverged" in lab.banner.text().lower()
    lab.reset()
    assert lab.trainer.step_count == 0
    assert not lab.trainer.diverged
    assert not lab.banner.isVisible()
    lab.step_once()
    assert lab.trainer.step_count == 1


def test_changing_depth_rebuilds_the_diagram(lab):
    before = _diagram(lab).model.n_columns
    lab.panel.editor("depth").commit_text("7")
    assert lab.config().depth == 7
    assert _diagram(lab).model.n_columns == before + 4


@pytest.mark.parametrize(("field", "text"), [("width", "0"), ("lr", "abc"), ("depth", "201"),
                                             ("hidden_sizes", "64, x")])
def test_invalid_values_are_refused_at_the_field(lab, field, text):
    old = lab.config()
    trainer = lab.trainer
    lab.panel.editor(field).commit_text(text)
    message = lab.panel.field_error(field)
    assert message and message.endswith(".")
    assert lab.panel.editor(field).error_text() == message
    assert lab.config() == old
    assert lab.trainer is trainer
    lab.panel.editor(field).commit_text(str(getattr(old, field) or ""))
    assert lab.panel.field_error(field) == ""


def test_live_lr_change_keeps_training_without_reset(lab):
    lab.advance(5)
    trainer = lab.trainer
    lab.panel.editor("lr").commit_text("0.05")
    assert lab.trainer is trainer
    assert trainer.config.lr == 0.05
    assert trainer.step_count == 5
    lab.advance(3)
    assert trainer.step_count == 8


def test_seed_change_resets(lab):
    lab.advance(4)
    lab.panel.editor("seed").commit_text("3")
    assert lab.trainer.step_count == 0
    assert lab.config().seed == 3


def test_settings_round_trip_and_corrupt_config(qtbot):
    first = LabView()
    qtbot.addWidget(first)
    config = SMALL.replace(depth=4, activation="tanh", lr=0.02)
    first.set_config(config)
    first.run_bar.set_steps_per_frame(7)
    settings = app_settings()
    first.save_settings(settings)
    settings.sync()
    second = LabView()
    qtbot.addWidget(second)
    second.restore_settings(app_settings())
    assert second.config() == config
    assert second.panel.config() == config
    assert second.run_bar.steps_per_frame() == 7
    settings.setValue("lab/config", '{"schema_version": 1, "app": "actiscope", "config": {')
    settings.sync()
    third = LabView()
    qtbot.addWidget(third)
    third.restore_settings(app_settings())
    assert third.config() == ExperimentConfig().validate()
    assert "could not be used" in third.status_text


def test_restoring_a_config_whose_csv_is_gone_loads_the_defaults(qtbot, tmp_path):
    rows = "\n".join(f"{i % 7},{(i * 3) % 5},{i % 2}" for i in range(40))
    csv_path = tmp_path / "data.csv"
    csv_path.write_text("a,b,label\n" + rows + "\n")
    first = LabView()
    qtbot.addWidget(first)
    first.set_config(SMALL.replace(dataset="csv", csv_path=str(csv_path)))
    first.save_settings(app_settings())
    csv_path.unlink()
    second = LabView()
    qtbot.addWidget(second)
    second.restore_settings(app_settings())  # must not raise: the app would not start
    assert second.config() == ExperimentConfig().validate()
    assert "could not be restored" in second.status_text and "data.csv" in second.status_text


def test_render_image_is_not_blank(lab):
    lab.advance(10)
    image = lab.render_image(900, 600)
    assert (image.width(), image.height()) == (900, 600)
    pixels = image.constBits().tobytes()
    colours = set(np.frombuffer(pixels, np.uint32)[::7].tolist())
    assert len(colours) > 50


def test_own_csv_can_be_chosen_loaded_through_the_dialog_and_trained(lab, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(300, 3))
    labels = (features @ np.array([1.0, -2.0, 0.5]) > 0).astype(int)
    path = tmp_path / "mine.csv"
    np.savetxt(path, np.column_stack([features, labels]), delimiter=",", fmt="%.6f",
               header="a,b,c,label", comments="")
    panel = lab.panel
    assert not panel.editor("csv_path").isEnabled()
    combo = panel.editor("dataset").combo
    combo.setCurrentText("csv")                      # refused as a config: no file yet
    assert lab.config().dataset != "csv"
    assert "csv_path" in panel.field_error("dataset")
    assert panel.editor("csv_path").isEnabled()      # ... but the file field now applies
    from gui.lab import field_editors
    monkeypatch.setattr(field_editors.QFileDialog, "getOpenFileName",
                        lambda *args, **kwargs: (str(path), "CSV files (*.csv)"))
    browse = next(b for b in panel.editor("csv_path").findChildren(field_editors.QPushButton)
                  if b.text().startswith("Load CSV"))
    browse.click()
    assert lab.config().dataset == "csv" and lab.config().csv_path == str(path)
    assert panel.field_error("dataset") == ""
    assert not panel.editor("noise").isEnabled()
    lab.advance(300)
    assert lab.trainer.dataset.input_dim == 3
    assert lab.trainer.last.test_accuracy >= 0.85


def test_formula_activation_survives_the_form_and_can_be_typed(lab):
    swish = "formula:x*sigmoid(x)"
    lab.set_config(SMALL.replace(activation=swish))
    editor = lab.panel.editor("activation")
    canonical = lab.config().activation
    assert canonical.startswith("formula:")
    assert editor.value() == canonical                  # the form shows what the trainer uses
    lab.panel.editor("depth").commit_text("4")           # another edit keeps the formula
    assert lab.config().activation == canonical
    assert lab.trainer.network.activations[0].name == canonical
    editor.combo.lineEdit().setText("formula:where(x > 0, x, 0.1*x)")   # typed, then Enter
    editor.combo.lineEdit().editingFinished.emit()
    assert lab.config().activation.startswith("formula:where(")
    x = np.array([-2.0, 3.0])
    np.testing.assert_allclose(lab.trainer.network.activations[0].f(x), [-0.2, 3.0])
    editor.combo.lineEdit().setText("formula:__import__('os')")
    editor.combo.lineEdit().editingFinished.emit()
    assert lab.panel.field_error("activation").endswith(".")
    assert lab.config().activation.startswith("formula:where(")
    lab.panel.editor("activation").per_layer.setText(
        "relu, formula:where(x > 0, x, 0.1*x), tanh, relu")
    lab.panel.editor("activation").per_layer.editingFinished.emit()
    assert [a.name for a in lab.trainer.network.activations][1].startswith("formula:where(")
    assert len(lab.trainer.network.activations) == 4


def test_every_lab_plot_has_right_click_export(lab, monkeypatch):
    from PySide6.QtCore import Qt

    from gui.export import export_dialog
    opened = []
    monkeypatch.setattr(export_dialog.ExportDialog, "exec",
                        lambda self: opened.append([t.title for t in self.targets]) or 0)
    for view in (*lab.views, lab.compare):
        assert view.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
        export = next(a for a in view.actions() if a.text() == "Export\u2026")
        export.trigger()
        assert opened[-1] == [t.title for t in view.export_targets()]
    assert len(opened) == len(lab.views) + 1


def test_window_shortcuts_win_over_a_focused_text_field(qtbot):
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from gui.app import create_main_window
    window = create_main_window()
    qtbot.addWidget(window)
    window.show()
    lab = window.tab_widgets()[1]
    window.tabs.setCurrentWidget(lab)
    field = lab.panel.editor("noise").input_widget()
    field.setFocus()
    ctrl = Qt.KeyboardModifier.ControlModifier
    for key, wins in ((Qt.Key.Key_E, True), (Qt.Key.Key_K, True), (Qt.Key.Key_C, False)):
        event = QKeyEvent(QEvent.Type.ShortcutOverride, key, ctrl)
        event.ignore()
        QApplication.sendEvent(field, event)
        # accepted = the field keeps the key; ignored = the window's shortcut fires
        assert event.isAccepted() is not wins, key


def test_reset_and_a_new_preset_leave_no_plot_of_the_previous_run(lab):
    import pyqtgraph as pg
    lab.presets.choose("dying-relu")
    lab.advance(30)
    death = next(v for v in lab.views if type(v).__name__ == "DeathView")
    assert death.grid.image.image is not None
    for change in (lab.reset, lambda: lab.presets.choose("sigmoid-vanishing")):
        change()
        assert lab.trainer.step_count == 0
        assert death.grid.image.image is None
        assert "not measured yet" in death.grid.plot.titleLabel.text
        for view in lab.views:
            if type(view).__name__ in ("NetworkDiagramView", "TrainingView", "PhaseDiagramView"):
                continue      # structure, the data and the init prediction: not run history
            for graphics in view.findChildren(pg.GraphicsView):
                for item in graphics.scene().items():
                    if isinstance(item, pg.PlotDataItem) and item.isVisible():
                        assert item.xData is None or len(item.xData) == 0, type(view).__name__


def test_preset_box_says_custom_when_the_config_is_no_preset(lab, tmp_path):
    lab.presets.choose("dying-relu")
    assert lab.presets.current_name() == "dying-relu"
    assert lab.presets.explanation.isVisible()
    lab.panel.editor("width").commit_text("17")          # edited after loading: not the preset
    assert lab.presets.current_name() is None
    assert lab.presets.combo.currentText().startswith("Custom")
    assert not lab.presets.explanation.isVisible()
    lab.set_config(lab.config().replace(width=32))        # back to the preset's own settings
    assert lab.presets.current_name() == "dying-relu"
    session = tmp_path / "s.actiscope.json"
    ExperimentConfig(depth=2, width=8, seed=5).save(session)
    lab.set_config(ExperimentConfig.load(session))       # what File ▸ Open session does
    assert lab.presets.current_name() is None and not lab.presets.explanation.isVisible()


def test_typed_learning_rate_moves_the_slider(lab):
    editor = lab.panel.editor("lr")
    editor.commit_text("0.001")
    assert lab.config().lr == 0.001
    assert editor._slider.value() == -30        # log10(0.001) × 10 steps per decade
    editor.commit_text("0.3")
    assert editor._slider.value() == round(np.log10(0.3) * 10)


def test_scrubber_shows_a_recorded_step_in_every_view_and_follows_again(lab, qtbot):
    lab.advance(30)
    views = {type(v).__name__: v for v in lab.views}
    assert lab.scrubber.slider.maximum() == len(lab.run) - 1 == 29
    lab.play()
    assert lab.is_running()
    lab.scrubber.slider.setValue(9)              # drag: pauses, every view shows step 10
    qtbot.waitUntil(lambda: not lab.is_running(), timeout=5000)
    qtbot.waitUntil(lambda: views["GradFlowView"]._step == 10, timeout=5000)
    record = lab.run.record(lab.run.step_index(10))
    assert record.step == 10
    np.testing.assert_array_equal(views["GradFlowView"].current.yData, record.grad_norm)
    ratio_dock = lab.plots.docks()[lab.views.index(views["UpdateRatioView"])]
    ratio_dock.raise_()                          # tabbed behind Training: drawn when in front
    qtbot.waitUntil(lambda: views["UpdateRatioView"].curve.yData is not None and np.array_equal(
        views["UpdateRatioView"].curve.yData, record.update_ratio), timeout=5000)
    lab.plots.docks()[lab.views.index(views["TrainingView"])].raise_()
    qtbot.wait(20)
    assert views["NetworkDiagramView"]._drawn_step == 10
    assert record.unit_grad is not None and record.dead_units is not None   # every step's
    hidden = views["NetworkDiagramView"].model.spot_column == 1              # stats were kept
    np.testing.assert_allclose(views["NetworkDiagramView"].model.mean_grad[hidden],
                               record.unit_grad[:16])
    assert views["DeathView"].total_dead_percent == pytest.approx(100 * record.dead_units.mean())
    assert views["TrainingView"].loss_curve.xData[-1] == 10
    assert "step 10 of" in lab.scrubber.label.text()
    assert lab.scrubber.follow_button.isEnabled()
    image = lab.render_image(800, 500)            # render draws the scrubbed step too
    assert not image.isNull() and views["GradFlowView"]._step == 10
    lab.scrubber.follow_button.click()            # back to the newest step
    newest = lab.run.newest_step
    assert views["GradFlowView"]._step == newest
    assert views["TrainingView"].loss_curve.xData[-1] == newest
    assert "(newest)" in lab.scrubber.label.text() and not lab.scrubber.follow_button.isEnabled()
    lab.step_once()                                # a new step is drawn live
    assert views["GradFlowView"]._step == newest + 1


def test_window_shortcuts_filter_only_the_focused_fields(qtbot, monkeypatch):
    """The filter sees the focused field's events, not every event of a playing Lab (an
    application-wide Python filter was called thousands of times a second)."""
    from PySide6.QtWidgets import QApplication

    from gui.app import create_main_window
    from gui.window_shortcuts import WindowShortcuts
    seen: list[str] = []
    original = WindowShortcuts.eventFilter

    def spy(self, watched, event):
        seen.append(type(watched).__name__)
        return original(self, watched, event)
    monkeypatch.setattr(WindowShortcuts, "eventFilter", spy)
    window = create_main_window()
    qtbot.addWidget(window)
    window.show()
    lab = window.tab_widgets()[1]
    window.tabs.setCurrentWidget(lab)
    lab.panel.editor("noise").input_widget().setFocus()
    QApplication.processEvents()
    seen.clear()
    lab.advance(5)
    for _ in range(5):
        QApplication.processEvents()
    assert set(seen) <= {"QLineEdit"}, sorted(set(seen))
