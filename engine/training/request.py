"""``TrainRequest``: what a caller asks of a training run (the CLI's ``photogan train`` flags,
the wizard's choices, ``api.train``'s one argument). Plain data, no imports beyond the
standard library, so front ends can build one cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TrainRequest:
    """A training run to start or resume; ``None`` means "the preset's value" (or, on resume,
    the saved one).

    Attributes:
        kind: a training kind (``engine/training/kinds/``): ``deblur``, ``upscale``,
            ``cyclegan`` or ``dcgan``.
        out: the run folder (config, checkpoints, history.csv, samples).
        data: the training folder (domain A for cyclegan); may be ``None`` on resume
            (``""`` counts as ``None``).
        data_b: domain B for cyclegan.
        steps, epochs: run length (one of them; default: the preset's steps).
        batch, crop: default: the preset's.
        preset: ``quick``, ``standard`` or ``long``.
        resume: continue the run in ``out`` exactly where it stopped; its saved settings are
            kept (``preset`` and ``seed`` are ignored; changed model options are refused).
        export: put the trained generator(s) into the model store under this name at the end.
        seed: seeds model initialisation and every step's randomness.
        options: trainer options by name (``--set``; strings or typed values), e.g.
            ``{"ngf": 32, "lr": 2e-4}``; see the kind's ``defaults``.
        sample_every, checkpoint_every: cadence in steps (default: the preset's).
        init_from: a stored model to fine-tune (new runs; same architecture and size).
        backend: the Keras backend to train on (``""`` keeps the current one).
    """

    kind: str
    out: Path
    data: Path | None = None
    data_b: Path | None = None
    steps: int | None = None
    epochs: float | None = None
    batch: int | None = None
    crop: int | None = None
    preset: str = "quick"
    resume: bool = False
    export: str | None = None
    seed: int = 0
    options: dict = field(default_factory=dict)
    sample_every: int | None = None
    checkpoint_every: int | None = None
    init_from: str | None = None
    backend: str = ""

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        self.data = Path(self.data) if self.data else None
        self.data_b = Path(self.data_b) if self.data_b else None
        self.options = dict(self.options or {})
