"""The offline rules planner: turns plain-language CRM requests into tool calls, deterministically."""
