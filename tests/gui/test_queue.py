"""Adding photos: drops of files and folders, paste, flags on entry, row actions."""

from __future__ import annotations

from PySide6.QtCore import QMimeData

from gui.queue_model import FAILED, QUEUED
from tests.gui.conftest import WAIT_MS
from tests.gui.helpers import drop_on, make_fake_png, make_photo, url_mime


def _names(window) -> list[str]:
    return [item.path.name for item in window.queue_model.items()]


def test_dropping_files_and_folders_onto_the_window_queues_every_photo(qtbot, window,
                                                                        tmp_path):
    loose = [make_photo(tmp_path / "a.jpg"), make_photo(tmp_path / "b.png", seed=1)]
    folder = tmp_path / "trip"
    make_photo(folder / "c.jpg", seed=2)
    make_photo(folder / "d.tif", seed=3)
    (folder / "notes.txt").write_text("not a photo")
    make_photo(folder / "sub" / "e.jpg", seed=4)

    assert drop_on(window, [*loose, folder])
    assert _names(window) == ["a.jpg", "b.png", "c.jpg", "d.tif"]  # not recursive by default
    assert all(item.status == QUEUED for item in window.queue_model.items())
    qtbot.waitUntil(lambda: all(it.thumb is not None for it in window.queue_model.items()),
                    timeout=WAIT_MS)
    assert window.queue_model.items()[0].dims == (48, 32)


def test_a_drop_on_the_queue_table_reaches_the_queue(qtbot, window, tmp_path):
    photo = make_photo(tmp_path / "x.jpg")
    drop_on(window.queue_view.table.viewport(), [photo])
    assert _names(window) == ["x.jpg"]


def test_recursive_folder_drop_and_duplicates(window, tmp_path):
    folder = tmp_path / "trip"
    make_photo(folder / "c.jpg")
    make_photo(folder / "sub" / "e.jpg")
    window.task_panel.recursive.setChecked(True)
    window.queue.handle_mime(url_mime([folder]))
    window.queue.handle_mime(url_mime([folder, folder / "c.jpg"]))  # already queued
    assert _names(window) == ["c.jpg", "e.jpg"]
    assert window.queue_model.items()[1].root == folder


def test_pasted_paths_and_file_urls_are_queued(window, tmp_path):
    first = make_photo(tmp_path / "one.jpg")
    second = make_photo(tmp_path / "two words.png")
    mime = QMimeData()
    mime.setText(f'"{first}"\nfile://{second.as_posix().replace(" ", "%20")}\n/no/such/file.jpg')
    assert window.queue.handle_mime(mime) == 2
    assert _names(window) == ["one.jpg", "two words.png"]


def test_unsupported_and_unreadable_files_are_flagged_on_entry(qtbot, window, tmp_path):
    fake = make_fake_png(tmp_path / "fake.png")
    raw = tmp_path / "photo.gif"
    raw.write_bytes(b"GIF89a")
    window.queue.add_paths([fake, raw, make_photo(tmp_path / "ok.jpg")])

    items = {it.path.name: it for it in window.queue_model.items()}
    assert items["photo.gif"].status == FAILED and ".gif format is not supported" in (
        items["photo.gif"].reason)
    qtbot.waitUntil(lambda: window.queue_model.items()[0].status == FAILED, timeout=WAIT_MS)
    fake_item = window.queue_model.items()[0]
    assert fake_item.flagged and "fake.png" in fake_item.reason
    assert window.queue_model.runnable_rows() == [2]


def test_remove_clear_finished_and_retry(window, tmp_path):
    window.queue.add_paths([make_photo(tmp_path / f"{n}.jpg") for n in "abc"])
    model = window.queue_model
    model.update(tmp_path / "a.jpg", status="done")
    model.update(tmp_path / "b.jpg", status="failed", reason="boom")

    window.actions.clear_finished.trigger()
    assert _names(window) == ["b.jpg", "c.jpg"]
    window.actions.retry_failed.trigger()
    assert model.items()[0].status == QUEUED and not model.items()[0].reason
    window.queue_view.table.selectRow(1)
    window.actions.remove.trigger()
    assert _names(window) == ["b.jpg"]
