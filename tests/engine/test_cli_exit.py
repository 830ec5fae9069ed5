"""Exit statuses of the ``photogan`` command for a cancel (130) and for an internal error (70).

Each command's engine call is replaced by a fake that does what a Ctrl-C does to a real run:
it raises SIGINT in this process (the command's handler turns that into a cancel request on
the token it passed) and then checks the token, as the engine does between units of work.
"""

from __future__ import annotations

import signal

import pytest
from PIL import Image

from engine.cli.main import EXIT_CANCELLED, EXIT_INTERNAL, main
from engine.events import CancelToken


def _ctrl_c_then_check(*args, **kwargs):
    token = kwargs.get("cancel") or next(a for a in args if isinstance(a, CancelToken))
    signal.raise_signal(signal.SIGINT)
    token.check()
    raise AssertionError("the Ctrl-C did not cancel the token")


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "in" / "a.png"
    path.parent.mkdir()
    Image.new("RGB", (4, 3), (10, 20, 30)).save(path)
    return path


COMMANDS = {
    "run": ("engine.api.run_batch", ["run", "sharpen", "{photo}", "-o", "{out}"]),
    "run sample": ("engine.api.generate", ["run", "sample", "-o", "{out}", "--set",
                                           "count=1024", "--set", "gif=true"]),
    "train": ("engine.api.train", ["train", "deblur", "--data", "{data}", "--out", "{out}"]),
    "eval": ("engine.api.evaluate", ["eval", "deblur", "--data", "{data}"]),
    "eval sample": ("engine.api.evaluate_sample", ["eval", "sample", "--data", "{data}"]),
    "bench": ("engine.api.run_bench", ["bench", "--tasks", "sharpen"]),
    "eval style": ("engine.api.evaluate_style", ["eval", "style", "--data", "{data}"]),
}


def _argv(template: list[str], photo, tmp_path) -> list[str]:
    values = {"photo": photo, "out": tmp_path / "out", "data": photo.parent}
    return [part.format(**values) for part in template]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_cancel_exits_130_without_a_traceback(command, monkeypatch, photo, tmp_path, capsys):
    target, template = COMMANDS[command]
    monkeypatch.setattr(target, _ctrl_c_then_check)
    assert main(_argv(template, photo, tmp_path)) == EXIT_CANCELLED
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "photogan: Cancelled by the user."
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_internal_error_is_one_line_and_its_traceback_goes_to_the_log(
        monkeypatch, photo, tmp_path, capsys, caplog):
    from engine import logs

    log_file = tmp_path / "photogan.log"
    monkeypatch.setattr(logs, "current", lambda: log_file)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("engine.api.run_batch", broken)
    argv = ["run", "sharpen", str(photo), "-o", str(tmp_path / "out")]
    assert main(argv) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "internal error (ZeroDivisionError: division by zero)" in err
    assert str(log_file) in err
    assert "Traceback" in caplog.text and "in broken" in caplog.text  # what the log file gets

    assert main(["--debug", *argv]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err and str(log_file) in err


def _sigterm_then_check(*args, **kwargs):
    token = kwargs.get("cancel") or next(a for a in args if isinstance(a, CancelToken))
    signal.raise_signal(signal.SIGTERM)
    token.check()
    raise AssertionError("SIGTERM did not cancel the token")


def test_sigterm_cancels_a_training_run_like_ctrl_c(monkeypatch, photo, tmp_path, capsys):
    """``kill`` (or a session ending) asks a run to stop cleanly, so it saves a checkpoint."""
    previous = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr("engine.api.train", _sigterm_then_check)
    argv = _argv(COMMANDS["train"][1], photo, tmp_path)
    assert main(argv) == EXIT_CANCELLED
    assert "Traceback" not in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is previous
