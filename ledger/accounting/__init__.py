"""Emission accounting and zero-carbon evaluation from anchored data."""
