"""Help ▸ Activation reference: every activation's formulas and properties in one table."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from core.activations import activation_info, available_activations
from gui.explorer.info_panel import FORMULA_FONT
from gui.explorer.palette import activation_colour


def reference_html() -> str:
    """An HTML table: name, f(x), f'(x), output range, max |f'|, flags, per activation."""
    rows = []
    for name in available_activations():
        info = activation_info(name)
        flags = ", ".join(label for label, flag in (("zero-centred", info.zero_centred),
                                                    ("monotonic", info.monotonic),
                                                    ("smooth", info.smooth)) if flag) or "\u2014"
        rows.append(
            f"<tr><td><span style='color:{activation_colour(name)}'>\u25a0</span> "
            f"<b>{html.escape(info.display_name)}</b><br><code>{name}</code></td>"
            f"<td style='font-family:{FORMULA_FONT}'>{info.formula_html}<br>"
            f"{info.derivative_html}</td><td>{html.escape(info.output_range)}</td>"
            f"<td>{html.escape(info.max_abs_derivative)}</td><td>{flags}</td></tr>")
    header = ("<tr><th>Activation</th><th>f(x) and f\u2032(x)</th><th>Output range</th>"
              "<th>max |f\u2032|</th><th>Properties</th></tr>")
    return ("<table cellspacing='0' cellpadding='6' border='1' style='border-color:#d0d0d0'>"
            + header + "".join(rows) + "</table>")


def show_activation_reference(parent: QWidget | None = None) -> None:
    """Open the reference as a modeless dialog."""
    dialog = QDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)   # modeless: deleted once closed
    dialog.setWindowTitle("Activation reference")
    dialog.resize(980, 720)
    browser = QTextBrowser()
    browser.setHtml(reference_html())
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(browser)
    layout.addWidget(buttons)
    dialog.show()
