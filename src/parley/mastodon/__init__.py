"""The Mastodon client API adapter: REST, OAuth 2 and streaming."""
