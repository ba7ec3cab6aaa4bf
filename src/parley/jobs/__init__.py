"""Durable background work: a queue in the database and a worker loop."""
