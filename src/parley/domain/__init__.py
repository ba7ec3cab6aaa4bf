"""The rules of Parley. Imports no web framework and no adapter."""
