"""The agent: plans from plain language, policy, execution, runs."""
