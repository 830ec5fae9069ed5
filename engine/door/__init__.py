"""Implementation helpers of ``engine.api`` (the one door), kept small; front ends import
``engine.api``, which re-exports what is public here."""
