"""Benchmarks: ``./scripts/bench`` runs them all and prints one table (see ``benchmarks.run``)."""
