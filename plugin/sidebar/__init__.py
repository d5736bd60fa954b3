"""The ticket sidebar (Zendesk ``ticket_sidebar`` location): page, panels, JSON, dev SDK."""

from plugin.sidebar.views import bp

__all__ = ["bp"]
