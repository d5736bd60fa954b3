"""Clients, parsers and local sandboxes for the systems claimdesk talks to.

Nothing in this package imports from ``plugin``, Flask, RQ or SQLAlchemy.
"""
