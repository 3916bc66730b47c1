"""Reproducible benchmarks. `python -m bench` runs every `bench/<name>.py` module's `main()` and
prints one table; each benchmark measures its own baseline (the ceiling) in the same run."""
