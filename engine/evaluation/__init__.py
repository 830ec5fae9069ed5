"""Developer evaluation tools: quality tables (eval, eval_sample, eval_style) and speed (bench)."""
