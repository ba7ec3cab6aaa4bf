"""The static mirror: public profiles and parleys as plain HTML + RSS/Atom (`parley mirror`)."""

from parley.web.mirror.build import MirrorResult, build_mirror
from parley.web.mirror.manifest import MirrorError

__all__ = ["MirrorError", "MirrorResult", "build_mirror"]
