"""What every mixin of :class:`engine.interpreter.CampaignWorkflow` may call on it.

The interpreter class itself provides these; the mixins (people, blocks,
continue-as-new, compensation, signals) are typed against them here, once.
Nothing runs at import: the declarations exist only for the type checker.
Runs inside the workflow sandbox.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from engine import ir
    from engine.campaign import CampaignStatus

if TYPE_CHECKING:
    from engine._interpret_renew import At

Env = MutableMapping[str, Any]


class Core:
    """The interpreter's own methods, as the mixins see them."""

    if TYPE_CHECKING:

        async def _step(self, step: ir.Step, env: Env, at: At | None) -> None:
            raise NotImplementedError

        def _condition(self, expr: ir.Expr, env: Env) -> bool:
            raise NotImplementedError

        def _require_process(self) -> ir.ProcessIR:
            raise NotImplementedError

        def _require_status(self) -> CampaignStatus:
            raise NotImplementedError

        def _eval(self, expr: ir.Expr, env: Env, what: str) -> Any:
            raise NotImplementedError

        def _mark(self, step_id: str, title: str, source: str) -> None:
            raise NotImplementedError

        def _end(self, step_id: str, state: str, error: str | None = None) -> None:
            raise NotImplementedError

        def _publish_items(self) -> None:
            raise NotImplementedError

        def _update(self, **changes: Any) -> None:
            raise NotImplementedError

        async def _activity(
            self,
            *,
            step_id: str,
            title: str,
            action: str,
            arguments: dict[str, Any],
            span: ir.Span,
            start_to_close: timedelta,
            retry: ir.RetryPolicy,
            heartbeat: timedelta | None,
        ) -> Any:
            raise NotImplementedError
