"""Imports every sub-command module so each registers itself with ``@command``."""

import engine.cli.cmd_gui  # noqa: F401  (photogan gui)
from engine.cli import cmd_bench, cmd_eval, cmd_info, cmd_models, cmd_run, cmd_tasks, cmd_train  # noqa: F401
