"""What stands in front of every adapter: who is calling (address, token, session), rate
limits, the under-attack challenge, anonymous paging limits and HTTP caching headers.

A package of its own because it sees every door at once (web, Mastodon API, federation) and
answers in each door's convention without importing any adapter; app.py wires it in.
"""
