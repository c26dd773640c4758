"""crm-agent: a self-hostable AI agent for sales and CRM work."""

__version__ = "0.1.0"
