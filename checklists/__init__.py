"""Shipped standard profiles and process checklists (YAML package data)."""
