"""The pipeline benchmark: `python -m benchmarks [--small]` (see README)."""
