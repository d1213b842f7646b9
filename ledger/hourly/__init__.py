"""Hourly (24/7) matching of green electricity to metered load: see ``model.py`` for the shapes and
the README's "Hourly matching" for what it means."""
