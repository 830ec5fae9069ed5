"""Wizard page 3 wiring: presets with estimated times on the detected device, the advanced
values (checked against the kind's limits as they change: the crop box only steps through
sides the networks accept, and anything training would refuse disables Start with the
engine's reason), and the training plan they make."""

from __future__ import annotations

import math
import os
from pathlib import Path

from PySide6.QtCore import QObject, Slot

from engine import api
from engine.errors import PhotoGANError, UsageError
from gui.background import call_in_pool
from gui.hints import explain
from gui.views.wizard_settings import PRESETS, SettingsPage

PRESET_NOTES = {"quick": "to try it out", "standard": "a usable model",
                "long": "best quality; overnight on a CPU"}
SAMPLES_PER_RUN = 10  # the wizard writes samples and checkpoints at least this often


def format_duration(seconds: float) -> str:
    """``"40 s"``, ``"3 min"``, ``"1 h 20 min"``, ``"2 days 3 h"`` (rounded up)."""
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{math.ceil(seconds)} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h"


def parse_extra(text: str) -> dict[str, str]:
    """``"ndf=4, d_layers=1"`` (commas or spaces) as ``{"ndf": "4", "d_layers": "1"}``.

    Raises:
        UsageError: an entry without ``=``.
    """
    found = {}
    for entry in text.replace(",", " ").split():
        name, sep, value = entry.partition("=")
        if not sep or not name:
            raise UsageError(f"'{entry}' in More options is not NAME=VALUE; write for example "
                             "ndf=32, separated by commas.")
        found[name.strip()] = value.strip()
    return found


class SettingsController(QObject):
    """Fills the settings page for a kind and turns it into an ``api.TrainRequest``."""

    def __init__(self, page: SettingsPage) -> None:
        super().__init__(page)
        self.page = page
        self.kind = ""
        self.spec: api.KindSpec | None = None
        self.presets: dict[str, api.Preset] = {}
        self.gpu = False
        self._loading = False
        page.group.idToggled.connect(self._on_preset)
        for spin in (page.steps, page.batch, page.crop, page.width, page.blocks):
            spin.valueChanged.connect(self._on_changed)
        page.lr.valueChanged.connect(self._on_changed)
        page.extra.textChanged.connect(self._on_changed)
        page.backend.currentIndexChanged.connect(self._on_changed)
        page.device.setText(f"Estimates for this computer's CPU ({os.cpu_count()} threads); "
                            "a GPU, if there is one, is used automatically.")
        if api.training_backends().locked:  # Keras is loaded: asking for devices is cheap
            call_in_pool(api.info, on_done=self._on_info, on_error=self._on_info_failed)

    def setup(self, kind: str) -> None:
        """Show the presets of ``kind`` (the quick one chosen) and the backends."""
        self.kind = kind
        self.spec = api.training_kind(kind)
        self.presets = api.training_presets(kind)
        self._fill_backends()
        self.page.crop.setRange(1, 1024)  # the kind's limits are applied on every change
        self.page.crop.setEnabled(not self.spec.fixed_crop)
        self.page.blocks.setEnabled(bool(self.spec.blocks_option))
        self.page.preset_buttons["quick"].setChecked(True)
        self._load_preset("quick")
        self._label_presets()

    def preset(self) -> str:
        """The chosen preset's name."""
        return PRESETS[max(0, self.page.group.checkedId())][0]

    def options(self) -> dict:
        """Trainer options from the advanced values (``UsageError`` for bad extras)."""
        p = self.page
        options = {"lr": p.lr.value(), self.spec.width_option: p.width.value()}
        if self.spec.blocks_option:
            options[self.spec.blocks_option] = p.blocks.value()
        return {**options, **parse_extra(p.extra.text())}

    def check(self) -> str:
        """Why these settings cannot train (the engine's sentence), or ``""``."""
        p = self.page
        try:
            options = self.options()
            api.check_training_settings(self.kind, self.preset(), p.steps.value(),
                                        p.batch.value(), self._crop(), options)
        except PhotoGANError as exc:
            return explain(exc)
        return ""

    def _crop(self) -> int | None:
        return None if self.spec.fixed_crop else self.page.crop.value()

    def plan(self, data: str, data_b: str | None, out: Path) -> api.TrainRequest:
        """The run these settings describe, in the run folder ``out``."""
        p, steps = self.page, self.page.steps.value()
        preset = self.presets[self.preset()]
        cadence = self._cadence(self.preset(), steps)
        return api.TrainRequest(
            kind=self.kind, out=out, data=data, data_b=data_b, preset=self.preset(),
            steps=steps, batch=p.batch.value(),
            crop=self._crop(), options=self.options(),
            backend=p.backend.currentData() or "",
            sample_every=cadence, checkpoint_every=min(preset.checkpoint_every, cadence))

    # -- handlers ---------------------------------------------------------------------
    def _fill_backends(self) -> None:
        facts = api.training_backends()
        combo = self.page.backend
        combo.blockSignals(True)
        combo.clear()
        for name in facts.available:
            usable = not facts.locked or name == facts.current
            combo.addItem(name if usable else f"{name} (restart PhotoGAN to use)", name)
            if not usable:
                combo.model().item(combo.count() - 1).setEnabled(False)
        combo.setCurrentIndex(max(0, combo.findData(facts.current)))
        combo.blockSignals(False)

    @Slot(int, bool)
    def _on_preset(self, index: int, checked: bool) -> None:
        if checked and self.kind:
            self._load_preset(PRESETS[index][0])

    def _load_preset(self, name: str) -> None:
        p, preset = self.page, self.presets[name]
        options = preset.options
        self._loading = True
        p.steps.setValue(preset.steps)
        p.batch.setValue(preset.batch)
        p.crop.setValue(preset.crop)
        p.lr.setValue(options["lr"])
        p.width.setValue(options[self.spec.width_option])
        if self.spec.blocks_option:
            p.blocks.setValue(options[self.spec.blocks_option])
        self._loading = False
        self._on_changed()

    @Slot()
    def _on_changed(self, *_args) -> None:
        if self._loading or not self.kind:
            return
        p = self.page
        try:
            options = self.options()
            self._apply_crop_limits(api.training_limits(self.kind, self.preset(), options))
            api.check_training_settings(self.kind, self.preset(), p.steps.value(),
                                        p.batch.value(), self._crop(), options)
            seconds = self._estimate(self.preset(), p.steps.value(), p.batch.value(),
                                     p.crop.value(), options)
        except PhotoGANError as exc:
            p.estimate.setText("")
            p.set_ready(False, explain(exc))
            return
        p.estimate.setText(f"These settings: about <b>{format_duration(seconds)}</b> "
                           f"({p.steps.value()} steps).")
        p.set_ready(True)

    def _apply_crop_limits(self, limits: api.CropLimits) -> None:
        """Let the crop box offer only sides the kind accepts: its minimum is the smallest,
        its arrows step by a multiple of the required one (a typed odd side is refused with
        the rule as the reason)."""
        spin, fixed = self.page.crop, limits.fixed
        self._loading = True  # a raised minimum changes the value: no nested re-check
        try:
            if fixed:
                spin.setRange(fixed, fixed)
            else:
                multiple = limits.multiple
                spin.setRange(limits.minimum, 1024 // multiple * multiple)
                spin.setSingleStep(16 if 16 % multiple == 0 else multiple)
                spin.multiple = multiple
            spin.setToolTip(f"Training crop side in pixels; {limits.rule}.")
        finally:
            self._loading = False

    def _estimate(self, preset: str, steps=None, batch=None, crop=None, options=None) -> float:
        crop = None if self.spec.fixed_crop else crop
        steps = steps or self.presets[preset].steps
        return api.estimate_training_seconds(self.kind, preset, steps, batch, crop, options,
                                             gpu=self.gpu,
                                             sample_every=self._cadence(preset, steps))

    def _cadence(self, preset: str, steps: int) -> int:
        """Steps between samples: the preset's, or more often for short runs."""
        return min(self.presets[preset].sample_every, max(1, steps // SAMPLES_PER_RUN))

    def _label_presets(self) -> None:
        for name, title in PRESETS:
            preset = self.presets[name]
            seconds = self._estimate(name)
            self.page.preset_buttons[name].setText(
                f"{title} — about {format_duration(seconds)}: {preset.steps} steps, "
                f"{PRESET_NOTES[name]}")

    @Slot(object, object)
    def _on_info(self, _tag, facts: api.SystemInfo) -> None:
        self.gpu = bool(facts.gpus)
        device = (f"GPU: {facts.gpus[0].name}" if facts.gpus else
                  f"CPU: {facts.cpu.name} ({facts.cpu.threads} threads)")
        self.page.device.setText(f"Estimates for {device}, Keras on {facts.backend}.")
        if self.kind:
            self._label_presets()
            self._on_changed()

    @Slot(object, str)
    def _on_info_failed(self, _tag, message: str) -> None:
        self.page.device.setText(f"Estimates for this computer's CPU (device check failed: "
                                 f"{message}).")
