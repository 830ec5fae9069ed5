"""The worker: signal order, failures as sentences, finished always last, the UI thread
free during a run."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from engine.errors import HINT_OVERWRITE, ImageReadError, UsageError
from engine.events import ItemFinished, ItemResult, ItemStarted, TileProgress, TrainStep
from gui.worker import Worker, WorkerHost
from tests.gui.conftest import RUN_TIMEOUT_MS
from tests.gui.helpers import make_photo

RESULT = ItemResult(None, None, "done")


def _start_and_wait(qtbot, host: WorkerHost, worker: Worker) -> list:
    """Start ``worker`` and wait until its thread has ended; returns ``finished``'s args.

    Waits on the host's ``busy_changed(False)``, emitted in this (the UI) thread: a
    ``waitSignal`` on the worker's own signals runs its callback in the worker thread, and
    when that fires before the wait's event loop starts, the wait never ends.
    """
    finished = []
    worker.finished.connect(lambda result: finished.append(result))
    with qtbot.waitSignal(host.busy_changed, timeout=RUN_TIMEOUT_MS,
                          check_params_cb=lambda busy: not busy):
        host.start(worker)
    assert len(finished) == 1  # finished fires exactly once, before the thread ends
    return finished


def _run(qtbot, job):
    host = WorkerHost()
    worker = Worker(job)
    seen = []
    worker.started.connect(lambda: seen.append("started"))
    worker.progress.connect(lambda e: seen.append(("progress", type(e).__name__, e.done)))
    worker.item_done.connect(lambda i, r: seen.append(("item_done", i, r)))
    worker.failed.connect(lambda m: seen.append(("failed", m)))
    return seen, _start_and_wait(qtbot, host, worker)[0]


def test_signals_arrive_in_order_and_finished_carries_the_result(qtbot):
    def job(progress, cancel):
        progress(ItemStarted(done=0, total=1, item=0, name="a.jpg"))
        progress(TileProgress(done=1, total=2, item=0))
        progress(TileProgress(done=2, total=2, item=0))
        progress(ItemFinished(done=1, total=1, item=0, name="a.jpg", result=RESULT))
        return 42

    seen, result = _run(qtbot, job)
    assert result == 42
    assert seen == ["started", ("progress", "ItemStarted", 0), ("progress", "TileProgress", 1),
                    ("progress", "TileProgress", 2), ("progress", "ItemFinished", 1),
                    ("item_done", 0, RESULT)]


def test_an_engine_error_becomes_failed_and_finished_still_fires(qtbot):
    def job(progress, cancel):
        raise ImageReadError("x.png: not an image; check the file.")

    seen, result = _run(qtbot, job)
    assert result is None
    assert seen == ["started", ("failed", "x.png: not an image; check the file.")]


def test_an_error_hint_is_worded_with_the_apps_controls_not_cli_flags(qtbot):
    def job(progress, cancel):
        raise UsageError("a_sharpen.jpg already exists.", hint=HINT_OVERWRITE)

    seen, _ = _run(qtbot, job)
    message = seen[-1][1]
    assert seen[-1][0] == "failed" and message.startswith("a_sharpen.jpg already exists.")
    assert "'Replace existing outputs'" in message and "--" not in message


def test_a_bug_is_reported_as_a_sentence_and_its_traceback_logged(qtbot, monkeypatch, caplog,
                                                                   tmp_path):
    from engine import logs

    monkeypatch.setattr(logs, "current", lambda: tmp_path / "gui.log")

    def job(progress, cancel):
        raise KeyError("oops")

    seen, _ = _run(qtbot, job)
    assert seen[-1][0] == "failed" and "Internal error (KeyError" in seen[-1][1]
    assert str(tmp_path / "gui.log") in seen[-1][1] and "Open Log Folder" in seen[-1][1]
    assert "Traceback" in caplog.text and "in job" in caplog.text


def test_cancel_only_sets_the_token_and_the_job_stops_itself(qtbot):
    def job(progress, cancel):
        for i in range(10_000_000):
            cancel.check()
            if i == 0:
                progress(TrainStep(done=1, total=0))
        return "not cancelled"

    host = WorkerHost()
    worker = Worker(job)
    worker.progress.connect(lambda _e: worker.cancel())
    assert _start_and_wait(qtbot, host, worker) == [None]


def test_the_event_loop_stays_responsive_during_a_run(qtbot, window, tmp_path):
    window.queue.add_paths([make_photo(tmp_path / f"p{i}.png", 800, 600, seed=i)
                            for i in range(3)])
    window.task_panel.tile.setValue(64)
    ticks_while_busy = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: window.host.busy and ticks_while_busy.append(1))
    timer.start()

    with qtbot.waitSignal(window.run.run_finished, timeout=RUN_TIMEOUT_MS):
        window.run.start()
    qtbot.waitUntil(lambda: not window.host.busy, timeout=RUN_TIMEOUT_MS)
    timer.stop()

    assert len(ticks_while_busy) > 0
    assert all(it.status == "done" for it in window.queue_model.items())


def test_a_joined_worker_leaves_the_host_idle_without_running_the_event_loop(qtbot):
    """Closing the window joins threads with ``wait()`` and checks ``busy`` at once: the
    thread's queued ``finished`` call must not be left for a later event loop."""
    host = WorkerHost()
    changes = []
    host.busy_changed.connect(changes.append)
    host.start(Worker(lambda progress, cancel: 7))
    assert host.wait(RUN_TIMEOUT_MS)
    assert not host.busy and host.worker is None  # no qtbot.wait / processEvents before this
    assert changes == [True, False]
