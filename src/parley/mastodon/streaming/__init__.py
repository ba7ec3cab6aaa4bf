"""Mastodon's streaming API: WebSocket and server-sent events, fed by domain events.

The worker runs `listeners` on domain events; they work out who may see what, render it
with the Mastodon entities and publish it on the broker (parley.infra.pubsub). `routes`
serves clients, each `connection` reading the channels of the streams it subscribed to.
"""
