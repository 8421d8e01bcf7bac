"""Sufficient statistics: per-group count tables, the rates computed from them, bootstrap CIs."""
