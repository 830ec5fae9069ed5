"""The model manager dialog against the store adapter (and without a store at all)."""

from __future__ import annotations

from types import SimpleNamespace

from engine.api import ModelInfo
from gui.controllers.models import ModelEntry, ModelManagerController, ModelStore, card_html
from gui.views.model_manager import ModelManagerDialog
from tests.gui.conftest import WAIT_MS


def _row(id, task, title="", source="", size_mb=0.0, default=False, card=None):
    return ModelInfo(id=id, task=task, title=title, source=source, arch="", scale=1,
                     size_mb=size_mb, default=default, card=card, folder="")


ROWS = [
    _row("deblur-small", "deblur", "DeblurGAN small", "shipped", 2.5, True,
         {"data": "GoPro", "steps": 1000}),
    _row("my-upscale", "upscale", "", "imported", 1.0, False, {}),
]


class FakeStore:
    """The engine API surface the adapter uses, in memory."""

    def __init__(self):
        self.rows = list(ROWS)
        self.removed = []

    def list_models(self):
        return list(self.rows)

    def verify_model(self, model_id):
        return None

    def remove_model(self, model_id):
        self.removed.append(model_id)
        self.rows = [r for r in self.rows if r.id != model_id]

    def import_model(self, path, task, name=""):
        row = _row(name or "new", task, source="imported", size_mb=0.1)
        self.rows.append(row)
        return row


def _dialog(qtbot, engine):
    dialog = ModelManagerDialog()
    qtbot.addWidget(dialog)
    controller = ModelManagerController(dialog, ModelStore(engine), ["deblur", "upscale"])
    return dialog, controller


def test_without_a_model_store_the_dialog_says_so(qtbot):
    dialog, _ = _dialog(qtbot, SimpleNamespace())
    assert "not available yet" in dialog.notice.text()
    assert dialog.table.rowCount() == 0
    assert not dialog.import_button.isEnabled() and not dialog.remove.isEnabled()


def test_models_are_listed_with_task_source_size_and_card(qtbot):
    dialog, _ = _dialog(qtbot, FakeStore())
    table = dialog.table
    assert table.rowCount() == 2
    assert [table.item(0, c).text() for c in range(4)] == [
        "DeblurGAN small  (default)", "deblur", "shipped", "2.5 MB"]
    table.selectRow(0)
    assert "GoPro" in dialog.card.toPlainText()
    assert dialog.verify.isEnabled() and not dialog.remove.isEnabled()  # shipped


def test_verify_runs_in_the_background_and_reports(qtbot):
    dialog, controller = _dialog(qtbot, FakeStore())
    dialog.table.selectRow(1)
    dialog.verify.click()
    qtbot.waitUntil(lambda: controller.status.get("my-upscale") == "verified",
                    timeout=WAIT_MS)
    assert "fine" in dialog.notice.text()


def test_user_models_can_be_removed(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    store = FakeStore()
    dialog, controller = _dialog(qtbot, store)
    dialog.table.selectRow(1)
    assert dialog.remove.isEnabled()
    with qtbot.waitSignal(controller.models_changed, timeout=WAIT_MS):
        dialog.remove.click()
    assert store.removed == ["my-upscale"] and dialog.table.rowCount() == 1


def test_the_real_engine_store_lists_without_errors(qtbot, home):
    dialog, controller = _dialog(qtbot, __import__("engine.api", fromlist=["api"]))
    assert "Could not" not in dialog.notice.text()
    assert dialog.table.rowCount() == len(controller.entries)


def test_card_html_escapes_text():
    entry = ModelEntry("x", "deblur", card={"notes": "<b>bold</b>"})
    assert "&lt;b&gt;" in card_html(entry)
