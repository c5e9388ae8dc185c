"""The Explorer tab: pick activations, tune their parameters, read f and f' under the mouse."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from core.activations import Activation, activation_info, get_activation
from gui.explorer.activation_list import ActivationList
from gui.explorer.curve_plot import CurvePlot
from gui.explorer.explorer_actions import ExplorerActions
from gui.explorer.explorer_state import ExplorerState
from gui.explorer.formula_entry import FormulaEntry
from gui.explorer.info_panel import InfoPanel
from gui.explorer.palette import activation_colour
from gui.explorer.param_controls import ParamControls
from gui.explorer.range_controls import X_LIMIT, XRangeControls
from gui.explorer.readout import Readout
from gui.explorer.sampling import DEFAULT_SAMPLES, DEFAULT_X_RANGE, curves_table, sample_x
from gui.export import ExportTarget, install_export_menu

SETTINGS_STATE = "explorer/state"
SETTINGS_SPLITTER = "explorer/splitter"
DEFAULT_SPLITTER_SIZES = (270, 800, 330)


class ExplorerView(QWidget):
    """Activation list | curve plot with readout and controls | side panel for the selected one.

    Each activation's curves are computed only when it is shown and something it depends on
    changed (its parameters or the x range), and drawn with setData on items created once.
    """

    tab_title = "Explorer"

    def __init__(self, parent: QWidget | None = None, samples: int = DEFAULT_SAMPLES) -> None:
        super().__init__(parent)
        self.samples = samples
        self.x = sample_x(*DEFAULT_X_RANGE, samples)
        self._activations: dict[str, Activation] = {}
        self._sampled: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.activation_list = ActivationList()
        self.plot = CurvePlot()
        self.readout = Readout()
        self.param_controls = ParamControls()
        self.range_controls = XRangeControls()
        self.info_panel = InfoPanel()
        self.formula_entry = FormulaEntry()
        self.explorer_actions = ExplorerActions(self)
        self._build_layout()
        self.plot.getPlotItem().vb.setLimits(xMin=-X_LIMIT, xMax=X_LIMIT)
        self.range_controls.set_x_range(*DEFAULT_X_RANGE)
        self.plot.set_x_range(*DEFAULT_X_RANGE)
        # Zoom and pan fire many range changes per frame: resample once per event-loop pass.
        self._view_range_timer = QTimer(self, singleShot=True, interval=0)
        self._view_range_timer.timeout.connect(self._follow_view_range)
        self._connect()
        self.export_target = ExportTarget("Explorer curves", self.plot, self.plot.getPlotItem(),
                                          self.curves_csv)
        install_export_menu(self.plot, self.export_targets)
        self.apply_state(ExplorerState())

    def _build_layout(self) -> None:
        """List left, plot centre, side panel right, in a splitter the user can drag."""
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 0, 6)
        heading = QLabel("<b>Activations</b>")
        heading.setToolTip("Tick to draw; select a row to describe it on the right")
        left_layout.addWidget(heading)
        left_layout.addWidget(self.activation_list, 1)
        left_layout.addWidget(self.explorer_actions.toggle_bar())
        left_layout.addWidget(self.formula_entry)
        left_layout.addWidget(self.param_controls)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 6, 0, 6)
        centre_layout.addWidget(self.plot, 1)
        centre_layout.addWidget(self.readout)
        centre_layout.addWidget(self.range_controls)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for index, widget in enumerate((left, centre, self.info_panel)):
            self.splitter.addWidget(widget)
            self.splitter.setCollapsible(index, index != 1)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.reset_layout()

    def _connect(self) -> None:
        """Wire the controls to the model of what is drawn."""
        self.activation_list.sigCheckedChanged.connect(self._on_checked_changed)
        self.activation_list.sigCurrentChanged.connect(self._show_info)
        self.param_controls.sigParamChanged.connect(self.set_param)
        self.formula_entry.sigFormulaAdded.connect(self.add_formula)
        self.range_controls.sigRangeChanged.connect(self.set_x_range)
        self.range_controls.sigResetRequested.connect(self.reset_x_range)
        self.plot.sigResetRangeRequested.connect(self.reset_x_range)
        self.plot.sigMouseX.connect(self.update_readout)
        self.plot.getPlotItem().vb.sigXRangeChanged.connect(self._view_range_timer.start)
        actions = self.explorer_actions
        actions.show_functions.toggled.connect(self._on_kinds_toggled)
        actions.show_derivatives.toggled.connect(self._on_kinds_toggled)
        actions.reset_range.triggered.connect(self.reset_x_range)
        actions.reset_params.triggered.connect(self.param_controls.reset_defaults)
        actions.side_panel.toggled.connect(self.info_panel.setVisible)

    # --- what is drawn -------------------------------------------------------------------------

    def params(self, name: str) -> dict[str, float]:
        """The current parameter values of activation `name` (empty if it has none)."""
        return self.param_controls.values().get(name, {})

    def activation(self, name: str) -> Activation:
        """The Activation object for `name` with the current parameters (cached)."""
        act = self._activations.get(name)
        if act is None:
            act = self._activations[name] = get_activation(name, **self.params(name))
        return act

    def _draw(self, name: str) -> None:
        """(Re)compute one activation's samples if stale and push them to its plot items."""
        if name not in self._sampled:
            self._sampled[name] = self.activation(name).f_df(self.x)
        f, df = self._sampled[name]
        self.plot.set_curve(name, activation_info(name).display_name, activation_colour(name),
                            self.x, f, df)

    def _on_checked_changed(self, name: str, checked: bool) -> None:
        """Add or remove one activation's curves."""
        if checked:
            self._draw(name)
        self.plot.set_curve_shown(name, checked)
        self.param_controls.set_shown_activations(self.plot.shown_names())

    def set_param(self, name: str, param: str, value: float) -> None:
        """Change one parameter and redraw only that activation (live while a slider moves)."""
        self.param_controls.sliders[(name, param)].set_value(value)
        self._activations.pop(name, None)
        self._sampled.pop(name, None)
        if name in self.plot.shown_names():
            self._draw(name)
        if self.info_panel.shown_name == name:
            self._show_info(name)

    def add_formula(self, name: str) -> None:
        """A checked "formula:…" activation joins the list, its sliders and the plot; selected."""
        self._add_formula_rows(name)
        self.activation_list.set_checked(name, True)
        self.activation_list.set_current_name(name)
        self._show_info(name)

    def _add_formula_rows(self, name: str) -> None:
        """List row and parameter sliders for a formula (nothing if already there)."""
        self.activation_list.add_activation(name)
        self.param_controls.add_activation(name)
        self.param_controls.set_shown_activations(self.plot.shown_names())

    def set_x_range(self, xmin: float, xmax: float) -> None:
        """Sample and show [xmin, xmax]; every shown activation is recomputed."""
        xmin, xmax = max(xmin, -X_LIMIT), min(xmax, X_LIMIT)
        if xmax <= xmin:
            return
        self.x = sample_x(xmin, xmax, self.samples)
        self._sampled.clear()
        for name in self.plot.shown_names():
            self._draw(name)
        self.range_controls.set_x_range(xmin, xmax)
        self.plot.set_x_range(xmin, xmax)

    def reset_x_range(self) -> None:
        """Back to the default x range with y fitted to the curves."""
        self.set_x_range(*DEFAULT_X_RANGE)

    def _follow_view_range(self) -> None:
        """After zoom/pan, resample the visible interval so the curves always fill the view."""
        xmin, xmax = self.plot.getPlotItem().vb.viewRange()[0]
        if not np.isclose([xmin, xmax], [self.x[0], self.x[-1]], rtol=0, atol=1e-9).all():
            self.x = sample_x(xmin, xmax, self.samples)
            self._sampled.clear()
            for name in self.plot.shown_names():
                self._draw(name)
            self.range_controls.set_x_range(xmin, xmax)

    def set_show_kinds(self, functions: bool, derivatives: bool) -> None:
        """Show or hide all f(x) curves and all f'(x) curves."""
        self.explorer_actions.show_functions.setChecked(functions)
        self.explorer_actions.show_derivatives.setChecked(derivatives)
        self.plot.set_show_kinds(functions, derivatives)

    def _on_kinds_toggled(self, _checked: bool) -> None:
        """Apply both toggle actions to the plot."""
        self.plot.set_show_kinds(self.explorer_actions.show_functions.isChecked(),
                                 self.explorer_actions.show_derivatives.isChecked())

    def update_readout(self, x: float) -> None:
        """Values of every shown curve at x (exact, not interpolated); nan shows the hint."""
        rows = []
        functions = self.explorer_actions.show_functions.isChecked()
        derivatives = self.explorer_actions.show_derivatives.isChecked()
        if math.isfinite(x):
            at = np.array([x])
            for name in self.plot.shown_names():
                f, df = self.activation(name).f_df(at)
                rows.append((activation_info(name).display_name, activation_colour(name),
                             float(f[0]) if functions else None,
                             float(df[0]) if derivatives else None))
        self.readout.show_values(x, rows)

    def _show_info(self, name: str) -> None:
        """Describe `name` in the side panel."""
        self.info_panel.show_activation(name, self.params(name))

    def curves_csv(self) -> tuple[list[str], np.ndarray]:
        """Headers and columns of exactly what is drawn (x, then f and/or f' per curve)."""
        curves = {name: self._sampled[name] for name in self.plot.shown_names()}
        return curves_table(curves, self.x, self.explorer_actions.show_functions.isChecked(),
                            self.explorer_actions.show_derivatives.isChecked())

    # --- tab protocol ----------------------------------------------------------------------------

    def export_targets(self) -> list[ExportTarget]:
        """The curve plot (PNG, SVG, CSV of the drawn samples)."""
        return [self.export_target]

    def menu_actions(self) -> list[QAction]:
        """Actions for the "Explorer" menu."""
        return self.explorer_actions.menu_actions()

    def view_actions(self) -> list[QAction]:
        """Actions for the View menu (side panel toggle)."""
        return [self.explorer_actions.side_panel]

    def reset_layout(self) -> None:
        """Default splitter sizes, side panel shown."""
        self.info_panel.setVisible(True)
        self.explorer_actions.side_panel.setChecked(True)
        self.splitter.setSizes(list(DEFAULT_SPLITTER_SIZES))

    def state(self) -> ExplorerState:
        """What the Explorer would remember now."""
        return ExplorerState(checked=self.activation_list.checked_names(),
                             params=self.param_controls.values(),
                             x_range=(float(self.x[0]), float(self.x[-1])),
                             show_functions=self.explorer_actions.show_functions.isChecked(),
                             show_derivatives=self.explorer_actions.show_derivatives.isChecked(),
                             current=self.activation_list.current_name(),
                             side_panel=self.explorer_actions.side_panel.isChecked(),
                             formulas=self.activation_list.formula_names())

    def apply_state(self, state: ExplorerState) -> None:
        """Show a remembered state."""
        for name in state.formulas:
            self._add_formula_rows(name)
        self.param_controls.set_values(state.params)
        self.set_x_range(*state.x_range)
        with self.plot.batched():        # one legend for all the curves it shows
            self.set_show_kinds(state.show_functions, state.show_derivatives)
            self.activation_list.set_checked_names(state.checked)
        self.activation_list.set_current_name(state.current)
        self._show_info(state.current)
        self.explorer_actions.side_panel.setChecked(state.side_panel)

    def save_settings(self, settings: QSettings) -> None:
        """Remember checked activations, parameters, x range, toggles and splitter sizes."""
        settings.setValue(SETTINGS_STATE, self.state().to_json())
        settings.setValue(SETTINGS_SPLITTER, self.splitter.saveState())

    def restore_settings(self, settings: QSettings) -> None:
        """Restore what save_settings stored; corrupt or missing values give the defaults."""
        self.apply_state(ExplorerState.from_json(settings.value(SETTINGS_STATE)))
        splitter_state = settings.value(SETTINGS_SPLITTER)
        if not (isinstance(splitter_state, QByteArray)
                and self.splitter.restoreState(splitter_state)):
            self.splitter.setSizes(list(DEFAULT_SPLITTER_SIZES))
        self.info_panel.setVisible(self.explorer_actions.side_panel.isChecked())

    def shutdown(self) -> None:
        """Stop the pending resample timer."""
        self._view_range_timer.stop()
