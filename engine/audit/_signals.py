"""The timeline's facts that arrive as signals: operators pausing, resuming and
cancelling, refused attempts, external events and team directory updates.

A mixin of the history reader in :mod:`engine.audit._timeline`.
"""

from __future__ import annotations

from temporalio.api.history.v1 import HistoryEvent

from engine.audit._events import EventReader, auth_of, decode, proof_of, seal_of
from engine.audit._model import What
from engine.workflow.campaign import (
    CANCEL_SIGNAL,
    EVENT_SIGNAL,
    PAUSE_SIGNAL,
    REFUSED_SIGNAL,
    RESUME_SIGNAL,
    TEAM_SIGNAL,
    ExternalEvent,
    OperatorAction,
    RefusedAttempt,
    TeamPush,
)
from engine.workflow.team import TeamSnapshot

_SIGNALS = frozenset(
    (REFUSED_SIGNAL, PAUSE_SIGNAL, RESUME_SIGNAL, CANCEL_SIGNAL, EVENT_SIGNAL, TEAM_SIGNAL)
)


class SignalEvents(EventReader):
    """Handlers of what operators and other systems send a campaign."""

    def _cancel_requested(self, event: HistoryEvent) -> None:
        if not self.cancel_noted:
            who = event.workflow_execution_cancel_requested_event_attributes.identity
            self._add(event, "cancel_requested", "cancellation requested", actor=who)

    def _signaled(self, event: HistoryEvent) -> None:
        # A signal the campaign ignored as malformed (engine.workflow._signals)
        # is shown as ignored, never read as if it had counted.
        try:
            self._read_signal(event)
        except Exception as error:  # any payload at all may arrive in a signal
            name = event.workflow_execution_signaled_event_attributes.signal_name[:100]
            reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            self._add(
                event,
                "signal_ignored",
                f"signal {name!r} ignored by the campaign: {reason}",
                actor=event.workflow_execution_signaled_event_attributes.identity or "external",
                kind="external",
            )

    def _read_signal(self, event: HistoryEvent) -> None:
        attrs = event.workflow_execution_signaled_event_attributes
        name = attrs.signal_name
        seal = seal_of(attrs.input)
        if seal is None and self.sealed and name in _SIGNALS:
            # A campaign started with a seal counts only signed signals.
            raise ValueError("not signed")
        auth = auth_of(seal)
        proof = proof_of(name, attrs.input, seal)
        if name == REFUSED_SIGNAL:
            attempt: RefusedAttempt = decode(attrs.input, RefusedAttempt)
            self._add(
                event,
                "refused",
                f"tried to {attempt.action.replace('_', ' ')}: refused: {attempt.reason}",
                actor=attempt.actor,
                kind="person",
                step=attempt.step,
                auth=auth,
                proof=proof,
                details={"action": attempt.action, "reason": attempt.reason},
            )
        elif name in (PAUSE_SIGNAL, RESUME_SIGNAL, CANCEL_SIGNAL):
            action: OperatorAction = decode(attrs.input, OperatorAction)
            what: What = {PAUSE_SIGNAL: "paused", RESUME_SIGNAL: "resumed"}.get(
                name, "cancel_requested"
            )  # type: ignore[assignment]
            self.cancel_noted = self.cancel_noted or name == CANCEL_SIGNAL
            self.state = {"paused": "paused", "resumed": "running"}.get(what, self.state)
            text = what.replace("_", " ") + (f": {action.reason}" if action.reason else "")
            self._add(
                event, what, text, actor=action.by, comment=action.reason, auth=auth, proof=proof
            )
        elif name == EVENT_SIGNAL:
            received: ExternalEvent = decode(attrs.input, ExternalEvent)
            self._add(
                event,
                "event",
                f"event {received.name} received for {received.key}",
                # Who sent it: the signer, proven; else only what the client said it was.
                actor=seal.principal if seal is not None else attrs.identity or "external",
                kind="operator" if seal is not None and seal.kind == "operator" else "external",
                details={"name": received.name, "key": received.key, "data": received.data},
                auth=auth,
                proof=proof,
            )
        elif name == TEAM_SIGNAL:
            raw = decode(attrs.input, dict)
            push = TeamPush.model_validate(raw) if "team" in raw else None
            team = push.team if push else TeamSnapshot.model_validate(raw)
            if self.people is not None:
                self.people.team = team
            self._add(
                event,
                "team_updated",
                f"team directory now version {team.version[:12]}",
                actor=push.by if push else "system",
                auth=auth,
                proof=proof,
            )
        else:
            raise ValueError("no such signal")
