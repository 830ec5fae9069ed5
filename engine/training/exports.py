"""Fine-tuning from a stored model and exporting a run's generator(s) into the model store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.errors import HINT_MODEL_OPTIONS, UsageError

if TYPE_CHECKING:
    from engine.training.runner import _Run


# --- fine-tuning and export ------------------------------------------------------------------


def init_generators(trainer, model_id: str) -> None:
    """Start the run's generator(s) from a stored model: fine-tuning instead of training
    from scratch. CycleGAN takes ``model_id`` (A -> B) and ``model_id-inverse`` (B -> A).

    The model must have the run's architecture and size (``--set`` options); critics start
    fresh. Called on a new run only: a resumed run restores its checkpoint instead.

    Raises:
        UsageError: no such model, or one of another task, architecture or size.
        ModelError: its weights file is missing, corrupt or does not fit.
    """
    from engine.store import catalog
    from engine.store.manifest import verify
    from engine.store.weights import load_weights

    for spec in trainer.exports():
        manifest = catalog.get(f"{model_id}{spec.suffix}")
        if manifest.task != spec.task:
            raise UsageError(f"Model '{manifest.id}' is for task {manifest.task}; fine-tuning "
                             f"a {spec.task} run needs a {spec.task} model.")
        if manifest.arch != spec.arch or manifest.config != spec.config \
                or not manifest.file.endswith(".npz"):
            sets = " ".join(f"{k}={v}" for k, v in manifest.config.items())
            raise UsageError(f"Model '{manifest.id}' ({manifest.arch}, {manifest.config}) does "
                             f"not have this run's generator ({spec.arch}, {spec.config}). "
                             f"Train with the model's size: {sets or 'its own options'}.",
                             hint=HINT_MODEL_OPTIONS, options=dict(manifest.config))
        verify(manifest)
        load_weights(spec.model, manifest.weights_path)




def check_export_names(kind: str, name: str) -> None:
    """Refuse a taken or malformed export name before training, not after it."""
    from engine.store import catalog
    from engine.training import trainers

    for suffix in trainers.get(kind).export_suffixes:
        catalog.check_new_id(f"{name}{suffix}")


def export(run: _Run, name: str) -> list[dict]:
    """Put the run's generator(s) into the model store as ``name`` (+ suffixes).

    Returns ``[{"id", "task"}]`` per stored model.

    CycleGAN exports ``name`` (A -> B, task ``photo2monet``) and ``name-inverse`` (B -> A,
    task ``monet2photo``); DCGAN exports to task ``sample``.
    """
    from engine.store import catalog
    from engine.store.importers import add_model

    specs = run.trainer.exports()
    ids = [f"{name}{spec.suffix}" for spec in specs]
    for model_id in ids:
        catalog.check_new_id(model_id)
    for spec, model_id in zip(specs, ids):
        add_model(spec.model, spec.task, model_id, spec.arch, spec.config, source="trained",
                  card={**_card(run), **spec.card}, title=f"{model_id} (trained)")
    return [{"id": model_id, "task": spec.task} for spec, model_id in zip(specs, ids)]


def _card(run: _Run) -> dict:
    c, s, t = run.config, run.state, run.trainer
    return {
        "trained_on": {"data": c.data, "data_b": c.data_b},
        "kind": c.kind, "preset": c.preset, "steps": s["step"], "batch": c.batch,
        "crop": c.crop, "seed": c.seed, "seconds": round(s["seconds"], 1),
        "final_losses": run.losses, "metric": f"{t.metric}: {t.metric_help}",
        "val": s["val"], "val_first": s["val_first"], "backend": c.backend,
        "mixed_precision": c.mixed_precision, "run": str(run.out), **t.card(),
        **({"fine_tuned_from": c.init_from} if c.init_from else {}),
    }
