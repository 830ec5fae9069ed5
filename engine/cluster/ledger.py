"""Crash bookkeeping kept on the shared output folder, and clean-up of killed workers' temps.

A worker records an attempt *before* it starts a file and clears the record when the file
ends (done or failed). A record that survives means a worker died on that file; when Ray
restarts the work, the count goes up, and at ``max_attempts`` the file is given up instead
of killing workers forever. Records live in ``OUT/.photogan-cluster/attempts/`` (one small
text file per output, named by a hash of the output path), so they survive the driver too:
a rerun continues counting until the file succeeds.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path

from engine.atomic import write_bytes_atomic

FOLDER = ".photogan-cluster"


class Ledger:
    """Attempt counts per output file under ``out_dir``."""

    def __init__(self, out_dir: Path) -> None:
        self.folder = Path(out_dir) / FOLDER / "attempts"

    def _record(self, output: Path) -> Path:
        digest = hashlib.sha1(str(Path(output).absolute()).encode("utf-8")).hexdigest()
        return self.folder / f"{digest[:20]}.txt"

    def attempts(self, output: Path) -> int:
        """Attempts started on ``output`` that did not end (0 when none)."""
        try:
            return int(self._record(output).read_text(encoding="utf-8").split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def begin(self, output: Path) -> int:
        """Record one more attempt on ``output``; returns the count including this one."""
        count = self.attempts(output) + 1
        write_bytes_atomic(self._record(output), f"{count} {output}\n".encode())
        return count

    def end(self, output: Path) -> None:
        """The attempt ended normally (done or an ordinary failure): forget the count."""
        self._record(output).unlink(missing_ok=True)

    def clear_all(self) -> None:
        """Remove the ledger folder when it is empty (nothing left crashing)."""
        root = self.folder.parent
        if self.folder.is_dir() and not any(self.folder.iterdir()):
            shutil.rmtree(root, ignore_errors=True)


def stale_temps(outputs: Iterable[Path]) -> list[Path]:
    """Temp files a killed writer left next to these outputs (``.<name>.<hex>.partial``)."""
    found = []
    for output in outputs:
        output = Path(output)
        if not output.parent.is_dir():
            continue
        found.extend(output.parent.glob(f".{_glob_escape(output.name[:120])}.*.partial"))
    return sorted(set(found))


def remove_stale_temps(outputs: Iterable[Path]) -> int:
    """Delete the temp files ``stale_temps`` finds; returns how many were removed.

    Call it before workers start: no writer of this batch is running yet, so every such file
    belongs to a worker that died.
    """
    removed = 0
    for temp in stale_temps(outputs):
        try:
            temp.unlink()
            removed += 1
        except OSError:
            continue
    return removed


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
