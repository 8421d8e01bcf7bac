"""Judges: registered units that label a response (refused, complied, safe, unsafe)."""
