"""Batches and training on a Ray cluster: the only package that imports ``ray``.

Ray is the optional extra ``photogan[cluster]``; nothing outside this package imports it
(an import-linter contract says so), and importing this package itself does not import ray:
``ray`` is imported by the functions that need it, after ``require_ray()``.

- ``settings``: ``ClusterSettings`` (where and how many workers) and ``require_ray()``.
- ``ledger``: crash counts per output and stale temp-file clean-up (plain files, no ray).
- ``connect``: joining or starting Ray, and the shared-storage check.
- ``batch``: a planned batch through Ray Data (``from_items(...).map_batches(Worker)``).
- ``train``: a training run on N Ray Train workers (``TorchTrainer``).
"""

from engine.cluster.settings import ClusterSettings, ray_available, require_ray

__all__ = ["ClusterSettings", "ray_available", "require_ray"]
