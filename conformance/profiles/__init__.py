"""Standard profiles: their schema, loading with ``extends``, the plan of checks, and judging."""
