"""Node agents (see `verifiers.agents.base`); the roles they play are the table in `verifiers.agents.roles`."""
