"""Entry script of the packaged ``photogan`` command (PyInstaller runs this file)."""

import sys

from engine.cli import main

if __name__ == "__main__":
    sys.exit(main())
