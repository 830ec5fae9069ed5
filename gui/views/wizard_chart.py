"""Loss curves drawn with QPainter: one small panel per loss (losses differ by orders of
magnitude, so each gets its own vertical scale), the latest value in its title."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")
COLUMNS = 3
PANEL_MIN_WIDTH = 170


class LossChart(QWidget):
    """``set_series({name: [(step, value), ...]})`` and it redraws."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossChart")
        self.series: dict[str, list[tuple[int, float]]] = {}
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_series(self, series: dict[str, list[tuple[int, float]]]) -> None:
        """Replace the curves (finite values only are drawn)."""
        self.series = {k: [(s, v) for s, v in pts if v is not None and math.isfinite(v)]
                       for k, pts in series.items()}
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        names = list(self.series)
        if not names:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Loss curves appear after the first steps.")
            return
        cols = max(1, min(COLUMNS, len(names), self.width() // PANEL_MIN_WIDTH))
        rows = math.ceil(len(names) / cols)
        width, height = self.width() / cols, self.height() / rows
        for i, name in enumerate(names):
            cell = QRectF((i % cols) * width, (i // cols) * height, width, height)
            self._panel(painter, cell.adjusted(6, 4, -6, -4), name, self.series[name],
                        QColor(COLORS[i % len(COLORS)]))

    def _panel(self, painter: QPainter, cell: QRectF, name: str,
               points: list[tuple[int, float]], color: QColor) -> None:
        """Title and latest value, the framed curve, and its value range underneath."""
        latest = f"{points[-1][1]:.4g}" if points else "–"
        painter.setPen(self.palette().text().color())
        painter.drawText(cell, Qt.AlignmentFlag.AlignLeft, f"{name}  {latest}")
        plot = cell.adjusted(0, 18, 0, -16)
        painter.setPen(QPen(self.palette().mid().color(), 1))
        painter.drawRect(plot)
        if len(points) < 2:
            return
        values = [v for _, v in points]
        painter.setPen(QPen(color, 1.5))
        painter.drawPath(_curve(points, plot))
        painter.setPen(self.palette().placeholderText().color())
        painter.drawText(cell, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                         f"range {min(values):.3g} … {max(values):.3g}")


def _curve(points: list[tuple[int, float]], plot: QRectF) -> QPainterPath:
    """The polyline of ``(step, value)`` points stretched over ``plot``."""
    steps, values = [s for s, _ in points], [v for _, v in points]
    lo, span_y = min(values), (max(values) - min(values)) or 1.0
    first, span_x = steps[0], (steps[-1] - steps[0]) or 1
    path = QPainterPath()
    for j, (s, v) in enumerate(points):
        point = QPointF(plot.left() + (s - first) / span_x * plot.width(),
                        plot.bottom() - (v - lo) / span_y * plot.height())
        if j:
            path.lineTo(point)
        else:
            path.moveTo(point)
    return path
