"""Helpers shared by the end-to-end, fuzz and benchmark runs."""
