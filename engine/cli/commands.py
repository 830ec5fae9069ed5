"""Imports every sub-command module so each registers itself with ``@command``."""

from engine.cli import cmd_eval, cmd_info, cmd_models, cmd_run, cmd_tasks  # noqa: F401
