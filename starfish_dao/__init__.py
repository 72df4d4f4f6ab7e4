"""Starfish DAO: a toolkit for a headless company paid by peer-reviewed contribution."""

__version__ = "0.1.0"
