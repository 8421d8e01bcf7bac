"""The bounds every input is read within, in one place (``docs/security.md`` lists them).

Files come from strangers: a model, a data set, a profile or a model card may be crafted to
exhaust memory or time. Each reader checks its bound *before* doing the work the bound protects
(sizes before parsing, declared sizes before inflating), and a file beyond one is bad input
(exit 2), never an internal error.
"""

from __future__ import annotations

MAX_UNPACKED = 2 * 1024**3
"""Bytes a compressed model (a joblib stream, the members of a ``.skops`` zip) may expand to: 2 GiB."""

MAX_ZIP_RATIO = 1100
"""Largest expansion of one zip member over 1 MiB: deflate cannot exceed about 1032:1, so more is a bomb."""

MAX_ZIP_MEMBERS = 100_000
"""Members a ``.skops`` zip may hold."""

MAX_YAML_BYTES = 1024**2
"""Size of a YAML file users write (run file, profile, checklist answers, model card): 1 MiB."""

MAX_YAML_DEPTH = 64
"""Nesting of mappings and lists in such a YAML file."""

MAX_JSON_DEPTH = 200
"""Nesting of a JSON report (``--baseline``, ``verify``, ``render``, ``diff``)."""

MAX_SHOWN = 80
"""Characters of a user's value echoed in an error message before it is cut with "…"."""
