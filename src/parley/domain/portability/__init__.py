"""Account portability: exports, imports, aliases and moves between servers."""
