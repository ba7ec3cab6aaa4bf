"""Operating an instance as a whole: `parley backup` and `parley restore`.

Beside the domain, like jobs/: it reads and writes every table through SQLAlchemy Core and
the media folder, and knows nothing of the adapters.
"""
