"""The custom search attributes a campaign keeps up to date.

The workflow type of a campaign is already its process name, so
``WorkflowType = 'blog_post'`` selects a process; these add what Temporal
cannot know on its own.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

STATE = SearchAttributeKey.for_keyword("MopsState")
"""running | waiting | completed | failed | cancelled"""
STEP = SearchAttributeKey.for_keyword("MopsStep")
"""The id of the step the campaign is on."""
VERSION = SearchAttributeKey.for_keyword("MopsVersion")
"""The short source hash of the process version the campaign runs."""
OWNER = SearchAttributeKey.for_keyword("MopsOwner")
"""Who started the campaign."""

ALL: dict[str, str] = {
    STATE.name: "Keyword",
    STEP.name: "Keyword",
    VERSION.name: "Keyword",
    OWNER.name: "Keyword",
}
"""Name -> Temporal search attribute type, as the server must register them."""
