"""Benchmarks: ``python -m bench.routing`` measures the pure routing engine,
``python -m bench.queue`` the staff queue on a PostgreSQL city of a million issues."""
