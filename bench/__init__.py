"""Benchmarks: ``python -m bench.routing`` measures the pure routing engine."""
