"""The ``crm-agent`` command line (Typer + Rich), one module per command group."""
