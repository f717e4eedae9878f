"""Errors a user can cause; the CLI prints their message as one line."""


class LoyaltyError(Exception):
    """A problem the user can fix; the message says what to do."""


class WarehouseBusyError(LoyaltyError):
    """Another process holds the warehouse."""


class ModelError(LoyaltyError):
    """A SQL model failed; the previous tables stay in place."""
