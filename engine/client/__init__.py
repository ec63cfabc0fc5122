"""The client side of the engine: starting, watching, listing and acting on campaigns,
the connection to Temporal, the embedded server and the settings of the local install.

Everything here talks to a Temporal cluster (or the embedded server) as a client;
nothing here runs inside a workflow. The composition root (``mops``) calls it.
"""

from engine.client._attributes import by_hand, ensure_search_attributes
from engine.client._campaigns import (
    CampaignSummary,
    campaign_status,
    has_worker,
    list_campaigns,
    new_campaign_id,
    start_campaign,
    wait_for_result,
)
from engine.client._connection import CONNECT_TIMEOUT, ConnectionInfo, connect
from engine.client._inputs import parse_assignments, resolve_inputs
from engine.client._people import (
    SubProcessItem,
    Task,
    act,
    inbox,
    open_item,
    push_team,
    report_refusal,
    said,
    send_event,
    sub_process_items,
    typed_outputs,
)
from engine.client._server import EmbeddedServer, ServerInfo, find_temporal_cli
from engine.client._settings import DEFAULT_TASK_QUEUE, Settings
from engine.client._watch import keep_embedded_server

__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_TASK_QUEUE",
    "CampaignSummary",
    "ConnectionInfo",
    "EmbeddedServer",
    "ServerInfo",
    "Settings",
    "SubProcessItem",
    "Task",
    "act",
    "by_hand",
    "campaign_status",
    "connect",
    "ensure_search_attributes",
    "find_temporal_cli",
    "has_worker",
    "inbox",
    "keep_embedded_server",
    "list_campaigns",
    "new_campaign_id",
    "open_item",
    "parse_assignments",
    "push_team",
    "report_refusal",
    "resolve_inputs",
    "said",
    "send_event",
    "start_campaign",
    "sub_process_items",
    "typed_outputs",
    "wait_for_result",
]
