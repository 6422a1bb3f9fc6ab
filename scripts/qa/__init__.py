"""Checks and reports: fuzzing, bad inputs, the scorer, ablation tables, the results index."""
