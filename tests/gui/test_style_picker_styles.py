"""The style picker offers every bundled style (issue 18 added a second one)."""

from __future__ import annotations

from gui.views.style_picker import StylePicker


def test_picker_lists_both_bundled_paintings(qtbot):
    picker = StylePicker()
    qtbot.addWidget(picker)
    items = [picker.list.item(i) for i in range(picker.list.count())]
    assert [i.text() for i in items] == ["Elephants", "Starry night"]
    picker.list.setCurrentItem(items[0])
    assert picker.value() == "elephants"
