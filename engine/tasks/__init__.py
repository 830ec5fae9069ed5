"""User-facing tasks, one file each; ``registry`` finds them by scanning this folder."""
