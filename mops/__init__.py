"""The composition root of MOps Flow: the ``mops`` command and what only it puts together.

It joins the language (:mod:`dsl`), the engine (:mod:`engine`) and the workers
(:mod:`workers`) into what people run: the command line (:mod:`mops.cli`) and
the scenario runner and simulator (:mod:`mops.scenarios`). Nothing else imports
this package.
"""

__all__ = ["cli", "scenarios"]
