"""Render the screenshot of docs/editors.md: real grammar tokens, real language-server output.

    .venv/bin/python editors/screenshot/make.py

What it shows is made by the real parts, not drawn by hand: the sample file is
coloured by the extension's TextMate grammar (tokenized with vscode-textmate,
as VS Code tokenizes it), the diagnostic and the completion list are what
``mops lsp`` answers for that file at that position (the server's own
functions, in process), and Debian's headless Chromium takes the picture. It
is a rendering of the grammar and the server's answers, not a capture of the
VS Code window.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from lsprotocol import types

from mops.lsp import Analyser
from mops.lsp._completion import complete
from mops.lsp._server import lsp_diagnostic
from workers import action_catalogue

HERE = Path(__file__).resolve().parent
EDITORS = HERE.parent
ROOT = EDITORS.parent
SAMPLE = """\
process blog_post "Blog post: from brief to publication"
  calendar "DE"
  input title: text
  input budget: money = 0 EUR

  work draft "Write the draft"
    assign role writer
    deadline 3 business days
    returns doc_url: url

  approval review "Editorial review"
    by role editr
    deadline 2 business days
    on reject -> draft

  task publish = http.post(url: draft.doc_url, json: {title: title})
  task announce = email.
"""
COLOURS = {
    "comment": "#6a9955",
    "string": "#ce9178",
    "constant.numeric": "#b5cea8",
    "constant.language": "#569cd6",
    "keyword.control": "#c586c0",
    "keyword.other.declaration": "#569cd6",
    "keyword.other.party": "#569cd6",
    "keyword.operator": "#d4d4d4",
    "keyword": "#569cd6",
    "entity.name.type": "#4ec9b0",
    "entity.name.function": "#dcdcaa",
    "support.function": "#dcdcaa",
    "support.type": "#4ec9b0",
    "variable.parameter": "#9cdcfe",
    "variable": "#9cdcfe",
}


def colour(scopes: list[str]) -> str:
    for scope in reversed(scopes):
        for prefix, shade in COLOURS.items():
            if scope.startswith(prefix):
                return shade
    return "#d4d4d4"


def main() -> None:
    tools = EDITORS / ".tools"
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(folder) / "blog_post.mops"
        sample.write_text(SAMPLE)
        (Path(folder) / "team.toml").write_text(
            (ROOT / "processes" / "team.toml").read_text(encoding="utf-8")
        )
        tokens = json.loads(
            subprocess.run(
                [
                    "node",
                    str(HERE / "tokenize.js"),
                    str(tools),
                    str(EDITORS / "vscode" / "syntaxes" / "mops.tmLanguage.json"),
                    str(sample),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        analyser = Analyser(action_catalogue())
        # The problems as published before the last line was begun; the completion
        # as asked while it is typed.
        before = SAMPLE[: SAMPLE.rindex("  task announce")]
        published = analyser.analyse(sample.as_uri(), before, 1)
        diagnostics = [lsp_diagnostic(published, d) for d in published.diagnostics]
        analysis = analyser.analyse(sample.as_uri(), SAMPLE, 2)
        lines = SAMPLE.split("\n")
        last = len(lines) - 2
        items = complete(
            analysis, types.Position(line=last, character=len(lines[last])), analyser
        ).items
        page = Path(folder) / "page.html"
        page.write_text(render(lines, tokens, diagnostics, items), encoding="utf-8")
        out = ROOT / "docs" / "images" / "editor.png"
        out.parent.mkdir(exist_ok=True)
        subprocess.run(
            [
                "/usr/bin/chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--screenshot={out}",
                "--window-size=1100,620",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
        print(f"wrote {out}", file=sys.stderr)


def render(
    lines: list[str],
    tokens: list[list[list[object]]],
    diagnostics: list[types.Diagnostic],
    items: list[types.CompletionItem],
) -> str:
    problem = next(d for d in diagnostics if d.severity == types.DiagnosticSeverity.Error)
    rows = []
    for number, (line, spans) in enumerate(zip(lines, tokens, strict=False)):
        cells = []
        for start, end, scopes in spans:
            assert isinstance(start, int) and isinstance(end, int) and isinstance(scopes, list)
            text = html.escape(line[start:end])
            style = f"color:{colour(scopes)}"
            if (
                number == problem.range.start.line
                and start >= problem.range.start.character
                and end <= problem.range.end.character
            ):
                style += ";text-decoration:underline wavy #f14c4c"
            cells.append(f'<span style="{style}">{text}</span>')
        rows.append(f'<div class="l"><i>{number + 1}</i>{"".join(cells) or "&nbsp;"}</div>')
        if number == problem.range.start.line:
            message = html.escape(problem.message).replace("\n", "<br>")
            rows.append(f'<div class="diag">{problem.code}: {message}</div>')
    menu = "".join(
        f'<div class="item"><b>{html.escape(i.label)}</b> <span>{html.escape(i.detail or "")}'
        "</span></div>"
        for i in items[:4]
    )
    return f"""<!doctype html><meta charset="utf-8"><style>
body {{ background:#1e1e1e; margin:0; font:15px 'DejaVu Sans Mono', monospace; color:#d4d4d4 }}
.bar {{ background:#2d2d2d; padding:6px 12px; font-family:sans-serif; font-size:13px }}
.l {{ white-space:pre; line-height:21px }} .l i {{ display:inline-block; width:40px;
  color:#858585; font-style:normal; text-align:right; margin-right:16px }}
.diag {{ margin:2px 0 4px 56px; padding:4px 8px; background:#3b1f1f; border-left:3px solid
  #f14c4c; font-family:sans-serif; font-size:13px; width:640px }}
.menu {{ position:absolute; left:236px; top:{21 * len(lines) + 64}px; background:#252526;
  border:1px solid #454545; width:560px; font-size:14px }}
.item {{ padding:3px 8px }} .item:first-child {{ background:#04395e }}
.item span {{ color:#9d9d9d; font-family:sans-serif; font-size:12px; margin-left:8px }}
</style><div class="bar">blog_post.mops — grammar: editors/vscode/syntaxes/mops.tmLanguage.json;
problems and completion: mops lsp</div>{"".join(rows)}<div class="menu">{menu}</div>"""


if __name__ == "__main__":
    main()
