"""The entry-point group action packages declare their actions in."""

ENTRY_POINT_GROUP = "mops.actions"
"""The entry-point group a package uses to ship its own actions."""
