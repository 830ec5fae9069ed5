"""The model manager: a small adapter over the engine's model store, and the dialog's wiring.

The adapter (``ModelStore``) is the only place that knows the store API's names and shapes
(``api.list_models``, ``verify_model``, ``import_model``, ``remove_model``); when the engine
lacks them, the dialog says the store is not available yet instead of failing.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QMessageBox,
    QTableWidgetItem,
    QWidget,
)

from engine import api
from gui.background import call_in_pool
from gui.queue_model import human_bytes
from gui.views.model_manager import ModelManagerDialog

UNAVAILABLE = "The model store is not available yet in this version of the engine."
MODEL_FILES = "Model files (*.keras *.weights.h5 *.h5 *.npz *.pth *.pt);;All files (*)"


@dataclass
class ModelEntry:
    """One model as the dialog shows it."""

    id: str
    task: str
    title: str = ""
    source: str = ""
    size_bytes: int = 0
    default: bool = False
    card: Any = None

    @property
    def removable(self) -> bool:
        """User models (imported or trained) can be removed; shipped ones cannot."""
        return self.source != "shipped"

    @classmethod
    def from_row(cls, row: api.ModelInfo) -> ModelEntry:
        """Build from the store's row."""
        return cls(id=row.id, task=row.task, title=row.title or "", source=row.source or "",
                   size_bytes=int(float(row.size_mb or 0.0) * 2**20), default=row.default,
                   card=row.card)


class ModelStore:
    """Calls the engine's model store when it exists (checked with ``hasattr``)."""

    def __init__(self, engine: Any = api) -> None:
        self._api = engine

    def can(self, operation: str) -> bool:
        """Whether the engine offers ``list``, ``verify``, ``import`` or ``remove``."""
        return hasattr(self._api, f"{operation}_model" if operation != "list" else "list_models")

    @property
    def available(self) -> bool:
        """Whether models can be listed at all."""
        return self.can("list")

    def list(self) -> list[ModelEntry]:
        """Every stored model (empty when the store is not available)."""
        if not self.available:
            return []
        return [ModelEntry.from_row(r) for r in self._api.list_models()]

    def verify(self, model_id: str) -> str:
        """Check one model; returns a sentence, raises the engine's error on a problem."""
        outcome = self._api.verify_model(model_id)
        if outcome is False:
            return f"{model_id}: verification failed."
        if isinstance(outcome, str) and outcome:
            return outcome
        return f"{model_id}: checksum and architecture are fine."

    def import_file(self, path: Path, task: str, name: str = "") -> ModelEntry | None:
        """Import a model file for ``task``; returns its entry when the store reports one."""
        row = self._api.import_model(Path(path), task, name)
        return ModelEntry.from_row(row) if row else None

    def remove(self, model_id: str) -> None:
        """Delete a user model."""
        self._api.remove_model(model_id)


def card_value(value: Any) -> str:
    """A card value as text: floats to 4 significant digits, dicts as ``key: value, ...``
    (``None`` entries left out), ``None`` as a dash."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {card_value(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, float):
        return f"{value:.4g}"
    return "–" if value is None else str(value)


def card_html(entry: ModelEntry) -> str:
    """The model card as simple HTML (a dict becomes a definition list)."""
    title = html.escape(entry.title or entry.id)
    head = (f"<h3>{title}</h3><p><b>Task:</b> {html.escape(entry.task)} · "
            f"<b>Source:</b> {html.escape(entry.source or '?')}"
            f"{' · <b>default</b>' if entry.default else ''}</p>")
    card = entry.card
    if isinstance(card, dict) and card:
        rows = "".join(f"<dt><b>{html.escape(str(k).replace('_', ' '))}</b></dt>"
                       f"<dd>{html.escape(card_value(v))}</dd>" for k, v in card.items())
        return f"{head}<dl>{rows}</dl>"
    if card:
        return f"{head}<p>{html.escape(str(card))}</p>"
    return f"{head}<p><i>No model card.</i></p>"


class ModelManagerController(QObject):
    """Fills the dialog from the store and runs its buttons (slow checks off the UI thread).

    Signals:
        models_changed(): a model was imported or removed (task weights may have changed).
        train_requested(): the user asked for the training wizard.
    """

    models_changed = Signal()
    train_requested = Signal()

    def __init__(self, dialog: ModelManagerDialog, store: ModelStore,
                 task_ids: list[str]) -> None:
        super().__init__(dialog)
        self.dialog, self.store, self.task_ids = dialog, store, task_ids
        self.entries: list[ModelEntry] = []
        self.status: dict[str, str] = {}
        dialog.table.itemSelectionChanged.connect(self._on_selection)
        dialog.verify.clicked.connect(self._on_verify)
        dialog.import_button.clicked.connect(self._on_import)
        dialog.remove.clicked.connect(self._on_remove)
        dialog.refresh.clicked.connect(self.refresh)
        dialog.train.clicked.connect(self.train_requested)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Reload the list from the store."""
        dialog = self.dialog
        if not self.store.available:
            dialog.notice.setText(UNAVAILABLE)
            for button in (dialog.verify, dialog.import_button, dialog.remove, dialog.refresh):
                button.setEnabled(False)
            return
        try:
            self.entries = self.store.list()
        except Exception as exc:  # the store is the engine's; show its sentence
            self.entries = []
            dialog.notice.setText(f"Could not list models: {exc}")
        else:
            dialog.notice.setText(self._summary())
        self._fill_table()
        dialog.import_button.setEnabled(self.store.can("import"))
        self._on_selection()

    def _summary(self) -> str:
        if not self.entries:
            return ("No models are installed yet. Import a model file, or train one, to use "
                    "deblur, upscale and the painting tasks.")
        return f"{len(self.entries)} model(s) in the store."

    def _fill_table(self) -> None:
        table = self.dialog.table
        table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            name = entry.title or entry.id
            cells = (f"{name}{'  (default)' if entry.default else ''}", entry.task,
                     entry.source, human_bytes(entry.size_bytes),
                     self.status.get(entry.id, ""))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(entry.id)
                table.setItem(row, col, item)

    def selected(self) -> ModelEntry | None:
        """The selected model, if any."""
        rows = self.dialog.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    @Slot()
    def _on_selection(self) -> None:
        entry = self.selected()
        self.dialog.card.setHtml(card_html(entry) if entry else "")
        self.dialog.verify.setEnabled(bool(entry) and self.store.can("verify"))
        self.dialog.remove.setEnabled(bool(entry and entry.removable)
                                      and self.store.can("remove"))

    @Slot()
    def _on_verify(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        self._set_status(entry.id, "verifying…")
        call_in_pool(self.store.verify, entry.id, tag=entry.id,
                     on_done=self._on_verified, on_error=self._on_verify_failed)

    @Slot(object, object)
    def _on_verified(self, model_id: str, message: str) -> None:
        self._set_status(model_id, "verified")
        self.dialog.notice.setText(message)

    @Slot(object, str)
    def _on_verify_failed(self, model_id: str, message: str) -> None:
        self._set_status(model_id, "problem")
        self.dialog.notice.setText(message)

    def _set_status(self, model_id: str, text: str) -> None:
        self.status[model_id] = text
        for row, entry in enumerate(self.entries):
            if entry.id == model_id:
                self.dialog.table.setItem(row, 4, QTableWidgetItem(text))

    @Slot()
    def _on_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.dialog, "Import a model file", "",
                                              MODEL_FILES)
        if not path:
            return
        task, ok = QInputDialog.getItem(self.dialog, "Import model", "Task this model serves:",
                                        self.task_ids, 0, False)
        if not ok:
            return
        name, ok = QInputDialog.getText(self.dialog, "Import model", "Name (optional):")
        if not ok:
            return
        self.dialog.notice.setText(f"Importing {Path(path).name}…")
        call_in_pool(self.store.import_file, Path(path), task, name.strip(), tag=path,
                     on_done=self._on_imported, on_error=self._on_store_error)

    @Slot(object, object)
    def _on_imported(self, path: str, entry: ModelEntry | None) -> None:
        self.refresh()
        self.dialog.notice.setText(f"Imported {Path(path).name}"
                                   f"{f' as {entry.id}' if entry else ''}.")
        self.models_changed.emit()

    @Slot(object, str)
    def _on_store_error(self, _tag: object, message: str) -> None:
        self.dialog.notice.setText(message)
        QMessageBox.warning(self.dialog, "Model store", message)

    @Slot()
    def _on_remove(self) -> None:
        entry = self.selected()
        if entry is None or not entry.removable:
            return
        answer = QMessageBox.question(
            self.dialog, "Remove model",
            f"Delete the model '{entry.id}' from your model store? This cannot be undone.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.store.remove(entry.id)
        except Exception as exc:  # the store's sentence, shown as is
            self._on_store_error(entry.id, str(exc))
            return
        self.refresh()
        self.dialog.notice.setText(f"Removed {entry.id}.")
        self.models_changed.emit()


def open_model_manager(parent: QWidget, task_ids: list[str],
                       store: ModelStore | None = None) -> ModelManagerController:
    """Create the dialog and its controller (the caller shows it)."""
    dialog = ModelManagerDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return ModelManagerController(dialog, store or ModelStore(), task_ids)
