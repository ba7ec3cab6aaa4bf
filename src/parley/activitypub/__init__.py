"""The ActivityPub federation adapter."""
