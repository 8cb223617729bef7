"""Benchmarks that print JSON, each against its floor measured in the same run.

Run one from the repository root as ``.venv/bin/python -m bench.<name>`` (see bench/README.md).
Not installed with the project: it is a package only so that the benches share ``bench.harness``.
"""
