"""One way to get a Temporal client: a configured cluster, else the embedded server.

The standard Temporal client configuration decides (``TEMPORAL_ADDRESS``,
``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``, the TLS variables, ``TEMPORAL_PROFILE``
and the config file), so a team that already uses the ``temporal`` CLI needs no
settings of ours. With no address configured, the embedded server is used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfigProfile, ClientConnectConfig
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from engine.client._server import EmbeddedServer
from engine.client._settings import Settings
from engine.errors import ServerUnreachable

__all__ = ["CONNECT_TIMEOUT", "ConnectionInfo", "connect"]

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a cluster to answer before telling the user it is unreachable."""

_EXTERNAL_HINT = (
    "check TEMPORAL_ADDRESS (or your Temporal config profile), "
    "or unset it to use the embedded server"
)


@dataclass(frozen=True)
class ConnectionInfo:
    """Where a client is connected."""

    address: str
    namespace: str
    embedded: bool
    """True for the local server that ``mops`` started and manages."""
    ui_url: str | None
    """The web UI, when known (the embedded server's; a cluster's is not discoverable)."""


async def connect(
    settings: Settings,
    *,
    start_embedded: bool = True,
    env: Mapping[str, str] | None = None,
    runtime: Runtime | None = None,
) -> tuple[Client, ConnectionInfo]:
    """A client with the pydantic data converter, for the configured or embedded server.

    Args:
        settings: where the embedded server keeps its state.
        start_embedded: start the embedded server if it is not running; when False,
            only an already running one is used.
        env: the environment to read the Temporal settings from (default: ours).
        runtime: the SDK runtime, e.g. one that exports Prometheus metrics (a worker's).

    Raises:
        ServerUnreachable: the configuration cannot be read or nothing answers.
        UserError: the embedded server is needed but cannot be started.
    """
    config = _load_config(env)
    address = config.get("target_host")
    namespace = config.get("namespace") or "default"
    if address:
        info = ConnectionInfo(address=address, namespace=namespace, embedded=False, ui_url=None)
        hint = _EXTERNAL_HINT
    else:
        server = EmbeddedServer(settings)
        if start_embedded:
            running = await server.ensure_running_async()
        elif (status := server.status()) is not None:
            running = status
        else:
            raise ServerUnreachable(
                "the embedded Temporal server is not running",
                hint="start it, or set TEMPORAL_ADDRESS to use an existing cluster",
            )
        info = ConnectionInfo(
            address=running.address, namespace=namespace, embedded=True, ui_url=running.ui_url
        )
        hint = f"see the server log {running.log_file}"
        # The embedded server has neither TLS nor API keys; a key meant for a
        # cluster must not make the local connection fail.
        config = ClientConnectConfig()
    client = await _connect(info, config, hint=hint, runtime=runtime)
    return client, info


def _load_config(env: Mapping[str, str] | None) -> ClientConnectConfig:
    try:
        return ClientConfigProfile.load(override_env_vars=env).to_client_connect_config()
    except RuntimeError as error:  # the bridge's ConfigError: bad TOML, unknown profile
        raise ServerUnreachable(
            "cannot read the Temporal client configuration: "
            + _one_line(str(error)).removeprefix("Configuration loading error: "),
            hint="check TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE",
        ) from None
    except OSError as error:  # a TLS certificate or key file named in the config
        raise ServerUnreachable(
            f"cannot read a TLS file of the Temporal client configuration: {error}",
            hint="check the TLS settings (TEMPORAL_TLS_* or the config profile)",
        ) from None


async def _connect(
    info: ConnectionInfo, config: ClientConnectConfig, *, hint: str, runtime: Runtime | None
) -> Client:
    def unreachable(reason: str) -> ServerUnreachable:
        return ServerUnreachable(f"cannot reach Temporal at {info.address}: {reason}", hint=hint)

    if "://" in info.address:
        # The SDK would only warn, then try to resolve the scheme as a host name.
        raise unreachable("the address must be host:port, without a scheme")
    try:
        client = await asyncio.wait_for(
            Client.connect(
                info.address,
                namespace=info.namespace,
                api_key=config.get("api_key"),
                tls=config.get("tls"),
                rpc_metadata=config.get("rpc_metadata") or {},
                data_converter=pydantic_data_converter,
                connect_timeout=timedelta(seconds=CONNECT_TIMEOUT),
                runtime=runtime,
            ),
            # The connect timeout covers the TCP handshake; this covers the rest.
            timeout=CONNECT_TIMEOUT + 1,
        )
        # Connecting does not check the namespace; a typo should fail here, not later.
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=info.namespace),
            timeout=timedelta(seconds=CONNECT_TIMEOUT),
        )
    except TimeoutError:
        raise unreachable(f"no answer within {CONNECT_TIMEOUT:.0f} s") from None
    except ValueError as error:
        raise unreachable(f"not a valid address ({error})") from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ServerUnreachable(
                f"namespace {info.namespace} does not exist at {info.address}",
                hint="check TEMPORAL_NAMESPACE (or your Temporal config profile)",
            ) from None
        if error.status == RPCStatusCode.PERMISSION_DENIED:
            return client  # some API keys may use a namespace but not describe it
        raise unreachable(error.message or error.status.name) from None
    except RuntimeError as error:
        raise unreachable(_reason(str(error))) from None
    return client


def _reason(message: str) -> str:
    """The cause of a bridge connect error, without the Rust error chain around it."""
    lowered = message.lower()
    for needle, reason in (
        ("connection refused", "connection refused"),
        ("dns error", "unknown host"),
        ("timed out", "timed out"),
        ("certificate", "TLS certificate rejected"),
        ("tls", "TLS handshake failed"),
    ):
        if needle in lowered:
            return reason
    return _one_line(message).removeprefix("Failed client connect: ")[:240]


def _one_line(message: str) -> str:
    lines = [line.strip(" |") for line in message.splitlines() if line.strip(" |^")]
    if len(lines) <= 1:
        return lines[0] if lines else message
    return f"{lines[0]}: {lines[-1]}"
