"""The engine of MOps Flow, in layers (lowest first; each imports only those below it):

- :mod:`engine.ir` - the intermediate representation a campaign runs;
- :mod:`engine.workflow` - everything the Temporal workflow sandbox imports: the
  interpreter, the run-time values, business time, work items, rules, and the
  typed facts a campaign writes into its history (no I/O in here);
- :mod:`engine.compiler` - a checked process (:mod:`dsl`) into the IR;
- :mod:`engine.audit` - the readers of campaigns' histories: timeline, status,
  exports, report;
- :mod:`engine.client` - starting, listing and acting on campaigns, the
  connection, the embedded server, settings.

:mod:`engine.errors` (what the user must fix) and :mod:`engine.contracts` (what
workers rely on) stand beside them. docs/architecture.md draws the whole house;
the layers are checked by import-linter (``.importlinter``).
"""

__all__ = ["audit", "client", "compiler", "contracts", "errors", "ir", "workflow"]
