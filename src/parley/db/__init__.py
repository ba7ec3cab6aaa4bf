"""Database: engine and session factory, the declarative Base, IDs, migrations."""
