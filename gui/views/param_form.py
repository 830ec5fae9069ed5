"""Option widgets generated from a task's declared parameters, so a new task needs no GUI code.

Each parameter (``api.ParamInfo``: name, type, default, help, choices, min, max) becomes one
widget named ``param_<name>``: ``int`` a spin box, ``float`` a decimal spin box, ``bool`` a check
box, ``choice`` a drop-down, ``str`` a line edit (a drop-down when it has suggestions), ``path``
a line edit with a Browse button. A parameter named like ``style_image`` gets the style picker.
The parameter's help is the tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from gui.views.style_picker import StylePicker

_INT_LIMIT = 2**31 - 1
_ACRONYMS = {"tv", "id", "gif", "jpeg", "png"}


class ParamForm(QWidget):
    """A form for one task's parameters.

    Signals:
        changed(): any value changed.
    """

    changed = Signal()

    def __init__(self, params: Sequence[Any], values: dict | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.params = list(params)
        self._getters: dict[str, Any] = {}
        self._setters: dict[str, Any] = {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for param in self.params:
            widget = self._build(param)
            widget.setObjectName(f"param_{param.name}")
            widget.setToolTip(param.help)
            label = QLabel(_label(param.name), self)
            label.setToolTip(param.help)
            layout.addRow(label, widget)
        if not self.params:
            layout.addRow(QLabel("This task has no options.", self))
        self.set_values(values or {})

    def widget(self, name: str) -> QWidget | None:
        """The widget of one parameter."""
        return self.findChild(QWidget, f"param_{name}")

    def values(self) -> dict:
        """Current values, typed as the parameters declare."""
        return {name: get() for name, get in self._getters.items()}

    def set_values(self, values: dict) -> None:
        """Show ``values`` (missing names get their defaults; bad values are ignored)."""
        for param in self.params:
            value = values.get(param.name, param.default)
            try:
                self._setters[param.name](value)
            except (TypeError, ValueError):
                self._setters[param.name](param.default)

    def reset(self) -> None:
        """Back to every parameter's default."""
        self.set_values({})

    # -- one widget per type ------------------------------------------------------------
    def _build(self, param: Any) -> QWidget:
        kind, name = param.type, param.name
        if "style" in name and kind in ("path", "str"):
            return self._style(param)
        builder = {
            "int": self._int, "float": self._float, "bool": self._bool,
            "choice": self._choice, "path": self._path,
        }.get(kind, self._text)
        return builder(param)

    def _register(self, name: str, getter, setter) -> None:
        self._getters[name], self._setters[name] = getter, setter

    def _int(self, param: Any) -> QSpinBox:
        box = QSpinBox(self)
        low, high = _bounds(param, -_INT_LIMIT, _INT_LIMIT)
        # QSpinBox holds a signed 32-bit int; wider declared ranges are cut to it.
        box.setRange(max(-_INT_LIMIT, int(math.ceil(low))),
                     min(_INT_LIMIT, int(math.floor(high))))
        box.setAccelerated(True)
        box.valueChanged.connect(self.changed)
        self._register(param.name, box.value, lambda v: box.setValue(int(v)))
        return box

    def _float(self, param: Any) -> QDoubleSpinBox:
        box = QDoubleSpinBox(self)
        low, high = _bounds(param, -1e9, 1e9)
        span = high - low
        box.setDecimals(3 if span <= 2 else 2)
        box.setSingleStep(0.01 if span <= 2 else 0.1 if span <= 20 else 1.0)
        box.setRange(low, high)
        box.setAccelerated(True)
        box.valueChanged.connect(self.changed)
        self._register(param.name, box.value, lambda v: box.setValue(float(v)))
        return box

    def _bool(self, param: Any) -> QCheckBox:
        box = QCheckBox(self)
        box.toggled.connect(self.changed)
        self._register(param.name, box.isChecked, lambda v: box.setChecked(_truthy(v)))
        return box

    def _choice(self, param: Any) -> QComboBox:
        box = QComboBox(self)
        for choice in param.choices:
            box.addItem(str(choice), choice)
        box.currentIndexChanged.connect(self.changed)

        def set_choice(value: Any) -> None:
            index = box.findText(str(value))
            if index < 0:
                raise ValueError(value)
            box.setCurrentIndex(index)

        self._register(param.name, box.currentData, set_choice)
        return box

    def _text(self, param: Any) -> QWidget:
        if param.choices:
            box = QComboBox(self)
            box.setEditable(True)
            box.addItems([str(c) for c in param.choices])
            box.currentTextChanged.connect(self.changed)
            self._register(param.name, box.currentText,
                           lambda v: box.setCurrentText("" if v is None else str(v)))
            return box
        edit = QLineEdit(self)
        edit.textChanged.connect(self.changed)
        self._register(param.name, edit.text,
                       lambda v: edit.setText("" if v is None else str(v)))
        return edit

    def _path(self, param: Any) -> QWidget:
        holder = QWidget(self)
        edit = QLineEdit(holder)
        edit.setObjectName(f"param_{param.name}_edit")
        browse = QPushButton("Browse…", holder)
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        row.addWidget(browse)
        edit.textChanged.connect(self.changed)

        def pick() -> None:
            chosen, _ = QFileDialog.getOpenFileName(self, _label(param.name), edit.text())
            if chosen:
                edit.setText(chosen)

        browse.clicked.connect(pick)
        self._register(param.name, edit.text,
                       lambda v: edit.setText("" if v is None else str(v)))
        return holder

    def _style(self, param: Any) -> StylePicker:
        picker = StylePicker(self)
        picker.changed.connect(self.changed)
        self._register(param.name, picker.value, picker.set_value)
        return picker


def _bounds(param: Any, low: float, high: float) -> tuple[float, float]:
    lo, hi = param.min, param.max
    return (low if lo is None else float(lo)), (high if hi is None else float(hi))


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _label(name: str) -> str:
    """``style_weight`` -> ``Style weight``; ``tv_weight`` -> ``TV weight``."""
    words = [w.upper() if w in _ACRONYMS else w for w in name.split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]
