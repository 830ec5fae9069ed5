"""Short background calls (probing files, thumbnails, loading images, model checks).

``call_in_pool(fn, *args, tag=..., on_done=..., on_error=...)`` runs ``fn(*args)`` on a small
shared pool of threads; ``on_done(tag, result)`` or ``on_error(tag, message)`` is then called in
the UI thread. Pass bound methods of QObjects so that a closed window never receives a late
answer. Long engine work (batches, previews) goes through ``gui.worker``.

The pool is Python's ``ThreadPoolExecutor``, not ``QThreadPool``, on purpose: a pooled Qt thread
gets a fresh Python thread state for every task it runs, while TensorFlow's pybind11 bindings
remember the state of the first one; the next Keras call on that thread then waits forever for
the GIL (seen with ``api.info()`` followed by ``api.verify_model()``). Python's own threads
keep one thread state for their whole life.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from engine.api import logs
from engine.errors import PhotoGANError
from gui.hints import explain

_POOL: ThreadPoolExecutor | None = None
_LIVE: set[Call] = set()
MAX_THREADS = 2  # the machine is shared with the batch worker


def pool() -> ThreadPoolExecutor:
    """The shared executor (created on first use, again after ``drain``)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="photogan-background")
    return _POOL


class Call(QObject):
    """The pending answer of one background call.

    Signals:
        done(object, object): ``(tag, result)``.
        error(object, str): ``(tag, user-facing message)``.
    """

    done = Signal(object, object)
    error = Signal(object, str)

    def __init__(self, tag: Any) -> None:
        super().__init__()
        self.tag = tag

    def hold_until_answered(self) -> None:
        """Keep this object alive until its answer has reached every receiver.

        Connected after the receivers, so it runs after them; the reference is dropped one
        event-loop turn later, never while Qt is still delivering this object's signals.
        """
        _LIVE.add(self)
        self.done.connect(self._release)
        self.error.connect(self._release)

    @Slot()
    def _release(self) -> None:
        QTimer.singleShot(0, partial(_LIVE.discard, self))

    def run(self, fn: Callable, args: tuple) -> None:
        """Call ``fn(*args)`` (in a pool thread) and emit the answer."""
        try:
            result = fn(*args)
        except PhotoGANError as exc:
            self.error.emit(self.tag, explain(exc))
        except Exception as exc:  # shown to the user, never silently lost
            logs.record_exception(exc, f"internal error in background job {self.tag!r}")
            self.error.emit(self.tag, f"{type(exc).__name__}: {exc}")
        else:
            self.done.emit(self.tag, result)


def call_in_pool(
    fn: Callable,
    *args: Any,
    tag: Any = None,
    on_done: Callable | None = None,
    on_error: Callable | None = None,
) -> Call:
    """Run ``fn(*args)`` in the background. ``on_done(tag, result)`` and
    ``on_error(tag, message)`` are connected before the call starts, so no answer is lost."""
    call = Call(tag)
    if on_done is not None:
        call.done.connect(on_done)
    if on_error is not None:
        call.error.connect(on_error)
    call.hold_until_answered()
    pool().submit(call.run, fn, args)
    return call


def drain() -> None:
    """Drop queued calls and wait for running ones (window shutdown, tests, exit)."""
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(wait=True, cancel_futures=True)
        _POOL = None


atexit.register(drain)
