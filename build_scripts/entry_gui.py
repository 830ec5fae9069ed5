"""Entry script of the packaged ``PhotoGAN`` desktop app (PyInstaller runs this file)."""

import sys

from gui.app import main

if __name__ == "__main__":
    sys.exit(main())
