"""Short background calls (probing files, thumbnails, loading images, model checks).

``call_in_pool(fn, *args, tag=..., on_done=..., on_error=...)`` runs ``fn(*args)`` on a small
shared ``QThreadPool``; ``on_done(tag, result)`` or ``on_error(tag, message)`` is called in the UI
thread. Pass bound methods of QObjects so that a closed window never receives a late
answer. Long engine work (batches, previews) goes through ``gui.worker``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from engine.errors import PhotoGANError

_POOL: QThreadPool | None = None
_LIVE: set[Call] = set()


def pool() -> QThreadPool:
    """The shared pool (two threads: the machine is shared with the batch worker)."""
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(2)
        _POOL.setObjectName("photogan-background")
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
        self.done.connect(self._release)
        self.error.connect(self._release)

    @Slot()
    def _release(self) -> None:
        _LIVE.discard(self)


class _Runnable(QRunnable):
    def __init__(self, call: Call, fn: Callable, args: tuple) -> None:
        super().__init__()
        self._call, self._fn, self._args = call, fn, args

    def run(self) -> None:
        try:
            result = self._fn(*self._args)
        except PhotoGANError as exc:
            self._call.error.emit(self._call.tag, str(exc))
        except Exception as exc:  # shown to the user, never silently lost
            self._call.error.emit(self._call.tag, f"{type(exc).__name__}: {exc}")
        else:
            self._call.done.emit(self._call.tag, result)


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
    _LIVE.add(call)
    pool().start(_Runnable(call, fn, args))
    return call


def drain(msecs: int = 10000) -> None:
    """Drop queued calls and wait for running ones (window shutdown, tests)."""
    if _POOL is not None:
        _POOL.clear()
        _POOL.waitForDone(msecs)
