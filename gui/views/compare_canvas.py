"""Before/after canvas: a draggable split or side by side, zoom (fit, 100%, wheel) and pan.

Coordinates: *before pixels* are the source photo's pixels; *space* is the output's pixel grid
(before pixels times ``out_scale``, e.g. 4 for a 4x upscale) so "100%" shows output pixels 1:1
on the screen and the before side is scaled up to match. The after image may cover only a
region (a preview of the visible area); outside it the after side shows the before, dimmed.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

_GRAB = 8  # pixels either side of the split line that grab it
_MIN_ZOOM, _MAX_ZOOM = 0.01, 32.0


class CompareCanvas(QWidget):
    """Paints the before and after pixmaps; the controller sets them.

    Signals:
        view_changed(): zoom, pan, split or mode changed.
    """

    view_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareCanvas")
        self.setMouseTracking(True)
        self.setMinimumSize(240, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.before: QPixmap | None = None
        self.after: QPixmap | None = None
        self.after_region = QRectF()
        self.after_label = "After"
        self.out_scale = 1.0
        self.zoom = 1.0
        self.fit = True
        self.center = QPointF()
        self.split = 0.5
        self.side_by_side = False
        self.message = "Select a photo in the queue to see it here."
        self._drag: str | None = None
        self._last = QPointF()

    # -- content ------------------------------------------------------------------------
    def set_before(self, pixmap: QPixmap | None) -> None:
        """Show a new photo (clears the after side and fits it)."""
        self.before, self.after, self.out_scale = pixmap, None, 1.0
        self.after_region = QRectF()
        self.fit = True
        self._refit()
        self.update()

    def set_after(self, pixmap: QPixmap | None, region: QRect | None = None,
                  label: str = "After") -> None:
        """Show ``pixmap`` as the result for ``region`` (before pixels; ``None`` = whole).

        Its size relative to the region sets the output scale (4 for a 4x upscale); the view
        keeps showing the same part of the photo.
        """
        self.after, self.after_label = pixmap, label
        if pixmap is None or self.before is None:
            self.after_region = QRectF()
            self.update()
            return
        area = QRectF(region) if region is not None else QRectF(self.before.rect())
        self.after_region = area
        scale = pixmap.width() / max(1.0, area.width())
        self._rescale(scale)
        self.update()

    def set_message(self, text: str) -> None:
        """Text shown when there is no photo (or over it, while loading)."""
        self.message = text
        self.update()

    def set_side_by_side(self, on: bool) -> None:
        """Side by side (``True``) or a draggable split (``False``)."""
        self.side_by_side = on
        self._refit()
        self.update()
        self.view_changed.emit()

    # -- zoom and pan -------------------------------------------------------------------
    def zoom_fit(self) -> None:
        """Fit the whole photo in the view."""
        self.fit = True
        self._refit()
        self.update()
        self.view_changed.emit()

    def zoom_100(self) -> None:
        """One output pixel per screen pixel (device pixels on high-DPI screens)."""
        self.fit = False
        self.zoom = 1.0 / self.devicePixelRatioF()
        self._clamp_center()
        self.update()
        self.view_changed.emit()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom by ``factor`` keeping the point under ``anchor`` (widget coords) in place."""
        if self.before is None:
            return
        pane = self._pane_at(anchor) if anchor is not None else self._after_pane()
        anchor = anchor if anchor is not None else pane.center()
        fixed = self._to_space(anchor, pane)
        self.zoom = min(_MAX_ZOOM, max(_MIN_ZOOM, self.zoom * factor))
        self.fit = False
        self.center = fixed - (anchor - pane.center()) / self.zoom
        self._clamp_center()
        self.update()
        self.view_changed.emit()

    def zoom_percent(self) -> float:
        """The zoom as a percentage of output pixels per device pixel."""
        return self.zoom * self.devicePixelRatioF() * 100.0

    def visible_region(self) -> QRect:
        """The part of the photo visible on the after side, in before pixels."""
        if self.before is None:
            return QRect()
        pane = self._after_pane()
        top_left = self._to_space(pane.topLeft(), pane)
        bottom_right = self._to_space(pane.bottomRight(), pane)
        space = QRectF(top_left, bottom_right).intersected(self._space_rect())
        before = QRectF(space.topLeft() / self.out_scale, space.size() / self.out_scale)
        return before.toAlignedRect().intersected(self.before.rect())

    # -- geometry helpers ---------------------------------------------------------------
    def _space_size(self) -> QSizeF:
        if self.before is None:
            return QSizeF()
        return QSizeF(self.before.size()) * self.out_scale

    def _space_rect(self) -> QRectF:
        return QRectF(QPointF(), self._space_size())

    def _panes(self) -> tuple[QRectF, QRectF]:
        rect = QRectF(self.rect())
        if not self.side_by_side:
            return rect, rect
        half = (rect.width() - 4) / 2
        return (QRectF(rect.left(), rect.top(), half, rect.height()),
                QRectF(rect.right() - half, rect.top(), half, rect.height()))

    def _after_pane(self) -> QRectF:
        return self._panes()[1]

    def _pane_at(self, point: QPointF) -> QRectF:
        left, right = self._panes()
        return left if left.contains(point) else right

    def _to_space(self, point: QPointF, pane: QRectF) -> QPointF:
        return self.center + (point - pane.center()) / self.zoom

    def _to_widget(self, rect: QRectF, pane: QRectF) -> QRectF:
        top_left = pane.center() + (rect.topLeft() - self.center) * self.zoom
        return QRectF(top_left, rect.size() * self.zoom)

    def _split_x(self) -> float:
        return self.width() * self.split

    def _refit(self) -> None:
        size = self._space_size()
        if not self.fit or size.isEmpty():
            return
        pane = self._after_pane()
        self.zoom = max(_MIN_ZOOM, min(pane.width() / size.width(), pane.height() / size.height()))
        self.center = QPointF(size.width() / 2, size.height() / 2)

    def _rescale(self, scale: float) -> None:
        """Change the output scale keeping the same part of the photo on screen."""
        ratio = scale / self.out_scale
        self.out_scale = scale
        self.center = self.center * ratio
        self.zoom = self.zoom / ratio
        if self.fit:
            self._refit()

    def _clamp_center(self) -> None:
        size = self._space_size()
        self.center = QPointF(min(max(self.center.x(), 0.0), size.width()),
                              min(max(self.center.y(), 0.0), size.height()))

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        # QColor(...) copies: palette().color() refers into a temporary palette (a crash once freed)
        painter.fillRect(self.rect(), QColor(self.palette().color(QPalette.ColorRole.Dark)))
        if self.before is None:
            self._paint_message(painter, QRectF(self.rect()))
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom < 2.0)
        left, right = self._panes()
        if self.side_by_side:
            self._paint_side(painter, left, after=False)
            self._paint_side(painter, right, after=True)
        else:
            split = self._split_x()
            self._paint_side(painter, left, after=False, clip=QRectF(0, 0, split, self.height()))
            self._paint_side(painter, right, after=True,
                             clip=QRectF(split, 0, self.width() - split, self.height()))
            self._paint_split_line(painter, split)
        self._paint_tag(painter, left, "Before", Qt.AlignmentFlag.AlignLeft)
        self._paint_tag(painter, right, self.after_label if self.after else "After: not run yet",
                        Qt.AlignmentFlag.AlignRight)
        self._paint_zoom(painter)

    def _paint_side(self, painter: QPainter, pane: QRectF, after: bool,
                    clip: QRectF | None = None) -> None:
        painter.save()
        painter.setClipRect(clip if clip is not None else pane)
        assert self.before is not None
        photo = self._to_widget(self._space_rect(), pane)
        painter.drawPixmap(photo, self.before, QRectF(self.before.rect()))
        if after:
            self._paint_after(painter, pane, photo)
        painter.restore()

    def _paint_after(self, painter: QPainter, pane: QRectF, photo: QRectF) -> None:
        if self.after is None:
            painter.fillRect(photo, QColor(0, 0, 0, 90))
            return
        region = self.after_region
        space = QRectF(region.topLeft() * self.out_scale, region.size() * self.out_scale)
        target = self._to_widget(space, pane)
        if space != self._space_rect():
            outside = QPainterPath()
            outside.addRect(photo)
            inside = QPainterPath()
            inside.addRect(target)
            painter.fillPath(outside.subtracted(inside), QColor(0, 0, 0, 110))
        painter.drawPixmap(target, self.after, QRectF(self.after.rect()))
        if space != self._space_rect():
            painter.setPen(QPen(QColor(255, 255, 255, 200), 1, Qt.PenStyle.DashLine))
            painter.drawRect(target.adjusted(0, 0, -1, -1))

    def _paint_split_line(self, painter: QPainter, x: float) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255, 230), 2))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        middle = QPointF(x, self.height() / 2)
        painter.setBrush(QColor(255, 255, 255, 230))
        painter.setPen(QPen(QColor(0, 0, 0, 120), 1))
        painter.drawEllipse(middle, 11, 11)
        painter.setPen(QPen(QColor(40, 40, 40), 2))
        for sign in (-1, 1):
            tip = middle + QPointF(7 * sign, 0)
            painter.drawLine(tip, tip + QPointF(-4 * sign, -4))
            painter.drawLine(tip, tip + QPointF(-4 * sign, 4))
        painter.restore()

    def _paint_tag(self, painter: QPainter, pane: QRectF, text: str,
                   align: Qt.AlignmentFlag) -> None:
        box = _badge_box(painter, text)
        left = align == Qt.AlignmentFlag.AlignLeft
        x = pane.left() + 10 if left else pane.right() - 10 - box.width()
        box.moveTopLeft(QPointF(x, pane.top() + 10))
        _paint_badge(painter, box, text)

    def _paint_zoom(self, painter: QPainter) -> None:
        text = f"{'Fit · ' if self.fit else ''}{self.zoom_percent():.0f}%"
        if self.message:
            text = f"{self.message}   {text}"
        box = _badge_box(painter, text)
        box.moveBottomRight(QPointF(self.width() - 10, self.height() - 10))
        _paint_badge(painter, box, text)

    def _paint_message(self, painter: QPainter, rect: QRectF) -> None:
        painter.setPen(QColor(self.palette().color(QPalette.ColorRole.BrightText)))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                         self.message)

    # -- mouse --------------------------------------------------------------------------
    def _near_split(self, x: float) -> bool:
        return not self.side_by_side and abs(x - self._split_x()) <= _GRAB

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.before is None:
            return
        pos = event.position()
        self._drag = "split" if self._near_split(pos.x()) else "pan"
        self._last = pos
        if self._drag == "pan":
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag == "split":
            self.split = min(1.0, max(0.0, pos.x() / max(1, self.width())))
        elif self._drag == "pan":
            self.center -= (pos - self._last) / self.zoom
            self.fit = False
            self._clamp_center()
        else:
            near = self._near_split(pos.x()) and self.before is not None
            self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.OpenHandCursor)
            return
        self._last = pos
        self.update()
        self.view_changed.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.fit:
            self.zoom_100()
        else:
            self.zoom_fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25 ** steps, event.position())

    def resizeEvent(self, event) -> None:
        self._refit()
        super().resizeEvent(event)


def _badge_box(painter: QPainter, text: str) -> QRectF:
    """The size of a badge around ``text`` (8 px padding), at the origin."""
    metrics = painter.fontMetrics()
    return QRectF(0, 0, metrics.horizontalAdvance(text) + 16, metrics.height() + 8)


def _paint_badge(painter: QPainter, box: QRectF, text: str) -> None:
    """White text on a translucent dark rounded box, readable over any photo."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 150))
    painter.drawRoundedRect(box, 6, 6)
    painter.setPen(QColor(255, 255, 255))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()
