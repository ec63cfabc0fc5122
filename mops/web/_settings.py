"""The people's app's settings, its keys, and its entry in the trust file.

The app signs what people do through it with its own Ed25519 key, held as
``app:NAME``: the campaign trusts it to vouch for the people it signs in. In the
embedded default the key and its trust-file entry are made on first use in the
state folder, beside the local operator's (both 0600), nothing to configure; a
cluster names the key with ``MOPS_APP_KEY`` and adds its public key to the
workers' trust file itself (``mops serve`` prints the entry to add).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from engine.client import (
    Settings,
    Signer,
    load_signer,
    load_trust,
    new_key_file,
    trust_path,
    write_trust,
)
from engine.errors import UserError
from engine.workflow.provenance import Method, Right, Trust, TrustedKey

APP_RIGHTS: tuple[Right, ...] = ("start", "decide", "operate")
"""What the app's key may sign: starts, decisions and operator actions, each for the
signed-in person the app vouches for."""
APP_METHODS: tuple[Method, ...] = ("web_login", "sso", "api_token", "email_link")


class OidcSettings(BaseModel):
    """Single sign-on through an OpenID Connect provider."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str
    client_id: str
    client_secret: str
    claim: str = "email"
    """The claim that names the person: ``email`` (matched with the team directory's
    e-mail addresses) or any other claim whose value is the person's id."""
    label: str = "Sign in with single sign-on"


class WebSettings(BaseModel):
    """Everything ``mops serve`` reads from the environment, validated once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "people"
    """The app's name: its key signs as ``app:NAME``."""
    base_url: str
    """Where people reach the app (links in notices point here)."""
    state_dir: Path
    task_queue: str
    processes: Path | None = None
    """A folder of .mops files operators may start campaigns from."""
    oidc: OidcSettings | None = None
    operator_roles: tuple[str, ...] = ("operator",)
    """Team roles whose holders may start, pause, resume and cancel in the app."""
    auditor_roles: tuple[str, ...] = ("auditor",)
    """Team roles whose holders may read histories, reports and exports."""
    session_hours: float = 12.0
    link_days: float = 7.0
    """How long an approve-by-email link stays valid."""
    login_attempts: int = 5
    """Failed sign-ins per person (and per address) within 15 minutes before a pause."""

    @property
    def secure(self) -> bool:
        """Cookies are always Secure; browsers accept them from http://127.0.0.1 too."""
        return True

    @classmethod
    def from_env(
        cls,
        settings: Settings,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        env: Mapping[str, str] | None = None,
    ) -> WebSettings:
        """Settings from ``MOPS_APP_*`` and ``MOPS_OIDC_*`` (docs/sign-in.md)."""
        env = os.environ if env is None else env
        base = env.get("MOPS_APP_URL") or f"http://{host}:{port}"
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UserError(f"MOPS_APP_URL='{base}' is not an http(s) address")
        oidc = None
        if issuer := env.get("MOPS_OIDC_ISSUER"):
            client_id = env.get("MOPS_OIDC_CLIENT_ID", "")
            secret = env.get("MOPS_OIDC_CLIENT_SECRET", "")
            if not client_id or not secret:
                raise UserError(
                    "MOPS_OIDC_ISSUER is set: set MOPS_OIDC_CLIENT_ID and MOPS_OIDC_CLIENT_SECRET"
                )
            oidc = OidcSettings(
                issuer=issuer,
                client_id=client_id,
                client_secret=secret,
                claim=env.get("MOPS_OIDC_CLAIM", "email"),
            )
        processes = env.get("MOPS_PROCESSES")
        folder = Path(processes) if processes else Path.cwd() / "processes"
        return cls(
            name=env.get("MOPS_APP_NAME", "people"),
            base_url=base.rstrip("/"),
            state_dir=settings.state_dir,
            task_queue=settings.task_queue,
            processes=folder if folder.is_dir() else None,
            oidc=oidc,
            operator_roles=_roles(env.get("MOPS_APP_OPERATOR_ROLES"), ("operator",)),
            auditor_roles=_roles(env.get("MOPS_APP_AUDITOR_ROLES"), ("auditor",)),
        )


def _roles(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if text is None:
        return default
    return tuple(r.strip() for r in text.replace(",", " ").split() if r.strip())


# ---- keys --------------------------------------------------------------------------------


def app_key_path(state_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    named = env.get("MOPS_APP_KEY")
    return Path(named).expanduser() if named else state_dir / "keys" / "app.pem"


def app_signer(state_dir: Path, name: str, env: Mapping[str, str] | None = None) -> Signer:
    """The app's signer: made on first use, with its entry in the local trust file.

    With ``MOPS_APP_KEY`` set the key is used as it is and no trust file is touched:
    a cluster's trust file is its operators' to keep.
    """
    env = os.environ if env is None else env
    path = app_key_path(state_dir, env)
    holder = f"app:{name}"
    if env.get("MOPS_APP_KEY"):
        return load_signer(path, holder)
    if not path.exists():
        fresh = path.with_name(path.name + ".new")
        fresh.unlink(missing_ok=True)
        made = new_key_file(fresh)
        trusted = trust_path(state_dir, env)
        trust = load_trust(trusted) if trusted.exists() else Trust()
        keys = dict(trust.keys)
        keys[made.key_id] = trust_entry(made, holder)
        write_trust(trusted, trust.model_copy(update={"keys": keys}))
        fresh.replace(path)  # last: whoever sees the key sees the trust file naming it
    return load_signer(path, holder)


def trust_entry(signer: Signer, holder: str) -> TrustedKey:
    """The trust file's entry for the app's key."""
    return TrustedKey(
        holder=holder,
        public=signer.public_b64,
        may=APP_RIGHTS,
        methods=APP_METHODS,
        valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
    )


def integration_signer(state_dir: Path, name: str) -> Signer:
    """The key the app signs an integration's events with (``integration:NAME``, right
    ``events`` only): made on first use, with its trust-file entry."""
    path = state_dir / "keys" / f"integration-{name}.pem"
    holder = f"integration:{name}"
    if not path.exists():
        fresh = path.with_name(path.name + ".new")
        fresh.unlink(missing_ok=True)
        made = new_key_file(fresh)
        trusted = trust_path(state_dir)
        trust = load_trust(trusted) if trusted.exists() else Trust()
        keys = dict(trust.keys)
        keys[made.key_id] = TrustedKey(
            holder=holder,
            public=made.public_b64,
            may=("events",),
            methods=("integration_key",),
            valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
        )
        write_trust(trusted, trust.model_copy(update={"keys": keys}))
        fresh.replace(path)
    return load_signer(path, holder)


def secret_file(path: Path) -> bytes:
    """A 32-byte secret kept in ``path`` (0600), made on first use (atomically: whoever
    comes second reads the first one's)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(descriptor, secrets.token_bytes(32))
        finally:
            os.close(descriptor)
        with contextlib.suppress(FileExistsError):
            os.link(partial, path)
        partial.unlink()
    data = path.read_bytes()
    if len(data) < 32:
        raise UserError(f"{path}: too short for a key (remove it to make a new one)")
    return data
