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
    seal_start,
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
    signed_signal,
    sub_process_items,
    typed_outputs,
)
from engine.client._schedules import (
    ScheduleSummary,
    change_schedule,
    create_schedule,
    list_schedules,
    seal_schedule,
    spec_of,
)
from engine.client._server import EmbeddedServer, ServerInfo, find_temporal_cli
from engine.client._settings import DEFAULT_TASK_QUEUE, Settings
from engine.client._signing import (
    Credentials,
    Signer,
    load_signer,
    load_trust,
    local_operator,
    local_trust,
    new_key_file,
    operator,
    payload_bytes,
    trust_path,
    write_trust,
)
from engine.client._watch import keep_embedded_server

__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_TASK_QUEUE",
    "CampaignSummary",
    "ConnectionInfo",
    "Credentials",
    "EmbeddedServer",
    "ScheduleSummary",
    "ServerInfo",
    "Settings",
    "Signer",
    "SubProcessItem",
    "Task",
    "act",
    "by_hand",
    "campaign_status",
    "change_schedule",
    "connect",
    "create_schedule",
    "ensure_search_attributes",
    "find_temporal_cli",
    "has_worker",
    "inbox",
    "keep_embedded_server",
    "list_campaigns",
    "list_schedules",
    "load_signer",
    "load_trust",
    "local_operator",
    "local_trust",
    "new_campaign_id",
    "new_key_file",
    "open_item",
    "operator",
    "parse_assignments",
    "payload_bytes",
    "push_team",
    "report_refusal",
    "resolve_inputs",
    "said",
    "seal_schedule",
    "seal_start",
    "send_event",
    "signed_signal",
    "spec_of",
    "start_campaign",
    "sub_process_items",
    "trust_path",
    "typed_outputs",
    "wait_for_result",
    "write_trust",
]
