"""Project scripts, run from the repository root as modules: python -m scripts.KIND.NAME (see scripts/README.md)."""
