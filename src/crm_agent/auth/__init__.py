"""Users, roles, API keys, web sessions and CSRF, and the permission rules (``permissions.py``).

See docs/permissions.md for who may see and change what.
"""
