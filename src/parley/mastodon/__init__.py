"""The Mastodon client API adapter: REST routes under /api, OAuth 2 token endpoints."""
