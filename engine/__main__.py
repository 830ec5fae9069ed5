"""``python -m engine`` runs the ``photogan`` command."""

import sys

from engine.cli import main

sys.exit(main())
