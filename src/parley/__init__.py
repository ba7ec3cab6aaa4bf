"""Parley: a self-hostable social network that stays online."""

__version__ = "0.1.0"
