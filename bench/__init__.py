"""Benchmarks of MOps Flow: run with ``python -m bench NAME`` (see bench/__main__.py)."""
