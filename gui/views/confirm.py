"""A yes/no question before quitting (No is the default, so Enter never loses work)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm_quit(parent: QWidget, text: str) -> bool:
    """Ask "Quit PhotoGAN?" with ``text``; ``True`` when the user answers Yes."""
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(parent, "Quit PhotoGAN?", text, buttons.Yes | buttons.No,
                                  buttons.No)
    return answer == buttons.Yes
