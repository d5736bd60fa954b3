"""Zendesk: the REST API client, and a local Zendesk (``sandbox``) seeded from a file."""
