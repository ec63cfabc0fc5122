"""``mops lsp`` end to end: an editor client (pytest-lsp) talks to the real server over stdio."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from diagnostic_examples import DIRECTORIES, EXAMPLES, FURTHER_EXAMPLES
from lsprotocol import types
from mops_cli import MOPS, ROOT
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

TEAM = """\
[roles]
writer = "Writes copy"
editor = "Reviews copy"
content_lead = "Owns the content calendar"

[people.ana]
name = "Ana Alves"
email = "ana@example.com"
roles = ["writer"]

[people.ben]
name = "Ben Brandt"
email = "ben@example.com"
roles = ["editor"]
"""

PROCESS = """\
process review "Content review"
  calendar "DE"
  input title: text
  input budget: money = 0 EUR

  work draft "Write the draft"
    assign role writer
    deadline 3 business days
    escalate to role content_lead
    returns doc_url: url

  approval editorial "Editorial review"
    by role editor
    not by draft.assignee
    deadline 2 business days
    escalate to role content_lead
    on reject -> draft
    at most 3 rounds, then fail "No agreement"

  task publish "Publish" = http.post(url: draft.doc_url, json: {title: title})
  output published_at = publish.status
"""

# What the server's check waits for after the last keystroke in these tests.
DEBOUNCE = 0.1


@pytest_lsp.fixture(  # type: ignore[untyped-decorator]  # pytest-lsp ships no types
    config=ClientServerConfig(server_command=[str(MOPS), "lsp", "--debounce", str(DEBOUNCE)]),
)
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=ROOT.as_uri(),
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "team.toml").write_text(TEAM)
    return tmp_path


def open_file(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="mops", version=version, text=text
            )
        )
    )
    return uri


def change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def diagnostics_for(client: LanguageClient, uri: str, version: int) -> Any:
    """The diagnostics the server publishes for ``version`` of the document."""
    while True:
        params = await asyncio.wait_for(
            client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout=60
        )
        if params.uri == uri and params.version == version:
            return params


def position_of(text: str, needle: str, offset: int = 0) -> types.Position:
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


def apply(text: str, edits: Sequence[types.TextEdit]) -> str:
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))[::-1]:
        start = offsets[edit.range.start.line] + edit.range.start.character
        end = offsets[edit.range.end.line] + edit.range.end.character
        text = text[:start] + edit.new_text + text[end:]
    return text


def mops_check_json(path: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(MOPS), "check", "--json", str(path)], capture_output=True, text=True, check=False
    )
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


# ---- diagnostics ------------------------------------------------------------------------


@pytest.mark.usefixtures("client")
async def test_diagnostics_on_open_are_mops_checks(client: LanguageClient, folder: Path) -> None:
    broken = PROCESS.replace("by role editor", "by role editr").replace("http.post(", "http.pst(")
    path = folder / "review.mops"
    path.write_text(broken)
    uri = open_file(client, path, broken)
    published = await diagnostics_for(client, uri, 1)
    seen = [
        {
            "line": d.range.start.line + 1,
            "col": d.range.start.character + 1,
            "code": d.code,
            "message": d.message,
            "severity": "error" if d.severity == types.DiagnosticSeverity.Error else "warning",
        }
        for d in published.diagnostics
    ]
    expected = [
        {
            "line": d["line"],
            "col": d["col"],
            "code": d["code"],
            "message": d["message"] + (f"\nhint: {d['hint']}" if d["hint"] else ""),
            "severity": d["severity"],
        }
        for d in await asyncio.to_thread(mops_check_json, path)
    ]
    assert seen == expected
    assert {d["code"] for d in seen} == {"N012", "N003"}


async def test_diagnostics_follow_typing_and_name_the_version(
    client: LanguageClient, folder: Path
) -> None:
    path = folder / "review.mops"
    uri = open_file(client, path, PROCESS)
    assert list((await diagnostics_for(client, uri, 1)).diagnostics) == []
    # Three quick edits: only the last is checked, and its diagnostics say which version.
    change(client, uri, PROCESS.replace("on reject -> draft", "on reject -> drfat"), 2)
    change(client, uri, PROCESS.replace("on reject -> draft", "on reject -> drf"), 3)
    change(client, uri, PROCESS.replace("on reject -> draft", "on reject -> drat"), 4)
    published = await diagnostics_for(client, uri, 4)
    (problem,) = published.diagnostics
    assert problem.code == "N010"
    assert "'drat'" in problem.message
    assert problem.range.start == position_of(PROCESS, "draft\n    at most", 0)


# ---- hover --------------------------------------------------------------------------------


async def test_hover_tells_a_steps_kind_people_and_deadline_in_business_time(
    client: LanguageClient, folder: Path
) -> None:
    uri = open_file(client, folder / "review.mops", PROCESS)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position_of(PROCESS, "draft\n    at most", 1),
        )
    )
    assert hover is not None
    text = hover.contents.value  # type: ignore[union-attr]
    assert "**work item** `draft` — Write the draft" in text
    assert "assigned to role writer" in text
    assert "deadline 3 business days (business time of calendar DE: Europe/Berlin" in text
    assert "escalates to role content_lead" in text


async def test_hover_on_an_action_shows_its_signature(client: LanguageClient, folder: Path) -> None:
    uri = open_file(client, folder / "review.mops", PROCESS)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position_of(PROCESS, "http.post", 6),
        )
    )
    assert hover is not None
    text = hover.contents.value  # type: ignore[union-attr]
    assert "http.post(url: url" in text
    assert "returns `status`: number" in text


async def test_hover_on_an_input_shows_its_type(client: LanguageClient, folder: Path) -> None:
    uri = open_file(client, folder / "review.mops", PROCESS)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position_of(PROCESS, "title: title", 8),
        )
    )
    assert hover is not None
    assert hover.contents.value == "**input** `title`: text"  # type: ignore[union-attr]


# ---- completion ---------------------------------------------------------------------------


async def complete(client: LanguageClient, uri: str, text: str) -> Sequence[types.CompletionItem]:
    """Open ``text`` (its end is the cursor) and ask for completions there."""
    lines = text.split("\n")
    change(client, uri, text, version=10 + len(text))
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=len(lines) - 1, character=len(lines[-1])),
        )
    )
    assert isinstance(result, types.CompletionList)
    return result.items


async def test_completion_offers_the_keywords_the_grammar_takes_there(
    client: LanguageClient, folder: Path
) -> None:
    uri = open_file(client, folder / "review.mops", PROCESS)
    under_approval = PROCESS.split("  task publish")[0].rstrip("\n") + "\n    dead"
    labels = {i.label for i in await complete(client, uri, under_approval)}
    assert {"deadline", "remind", "escalate", "on"} <= labels
    assert "when" not in labels and "retry" not in labels
    under_decide = PROCESS + "  decide tier\n    "
    labels = {i.label for i in await complete(client, uri, under_decide)}
    assert {"when", "otherwise", "hit"} <= labels
    assert "deadline" not in labels


async def test_completion_offers_roles_people_and_steps_where_they_fit(
    client: LanguageClient, folder: Path
) -> None:
    uri = open_file(client, folder / "review.mops", PROCESS)
    head = PROCESS.split("    on reject")[0]
    roles = {i.label: i.detail for i in await complete(client, uri, head + "    escalate to role ")}
    assert roles == {
        "writer": "role: Writes copy",
        "editor": "role: Reviews copy",
        "content_lead": "role: Owns the content calendar",
        "from": None,  # 'escalate to role from manager': a role chosen when the step opens
    }
    people = {i.label: i.detail for i in await complete(client, uri, head + "    by person ")}
    assert people == {"ana": "Ana Alves (writer)", "ben": "Ben Brandt (editor)", "from": None}
    steps = {i.label for i in await complete(client, uri, head + "    on reject -> ")}
    assert steps == {"draft", "editorial"}


async def test_completion_offers_actions_with_their_arguments_and_step_fields(
    client: LanguageClient, folder: Path
) -> None:
    uri = open_file(client, folder / "review.mops", PROCESS)
    actions = {i.label: i for i in await complete(client, uri, PROCESS + "  task mail = ")}
    assert "email.send" in actions and "http.post" in actions
    assert actions["email.send"].insert_text == (
        "email.send(to: ${1:to}, subject: ${2:subject}, body: ${3:body})"
    )
    namespaced = {i.label for i in await complete(client, uri, PROCESS + "  task mail = email.")}
    assert namespaced == {"send"}
    fields = {i.label for i in await complete(client, uri, PROCESS + "  set link = draft.")}
    assert {"doc_url", "assignee", "completed_at"} <= fields
    names = {i.label for i in await complete(client, uri, PROCESS + "  set total = ")}
    assert {"title", "budget", "draft", "editorial", "publish", "len"} <= names


async def test_completion_offers_calendars_and_time_zones_in_their_quotes(
    client: LanguageClient, folder: Path
) -> None:
    uri = open_file(client, folder / "review.mops", PROCESS)
    zones = {i.label for i in await complete(client, uri, 'calendar office\n  time zone "Eur')}
    assert {"Europe/Berlin", "Europe/London"} <= zones
    presets = {i.label for i in await complete(client, uri, 'process p\n  calendar "')}
    assert {"DE", "GB", "US", "UTC"} <= presets


# ---- navigation ---------------------------------------------------------------------------


async def test_definition_and_references_of_a_step(client: LanguageClient, folder: Path) -> None:
    uri = open_file(client, folder / "review.mops", PROCESS)
    jump = position_of(PROCESS, "draft\n    at most", 1)
    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=jump)
    )
    assert isinstance(found, list)
    assert [loc.range.start for loc in found] == [position_of(PROCESS, 'draft "Write')]
    uses = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=jump,
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert uses is not None
    lines = [loc.range.start.line + 1 for loc in uses]
    assert lines == [6, 14, 17, 20]  # the work item, not by, on reject, the task's url


async def test_rename_of_a_step_changes_every_use_and_the_file_still_checks(
    client: LanguageClient, folder: Path
) -> None:
    path = folder / "review.mops"
    uri = open_file(client, path, PROCESS)
    edit = await client.text_document_rename_async(
        types.RenameParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position_of(PROCESS, 'draft "Write'),
            new_name="first_draft",
        )
    )
    assert edit is not None and edit.changes is not None
    renamed = apply(PROCESS, edit.changes[uri])
    assert "draft." not in renamed.replace("first_draft.", "")
    assert "on reject -> first_draft" in renamed
    path.write_text(renamed)
    assert await asyncio.to_thread(mops_check_json, path) == []


async def test_rename_refuses_a_name_already_taken(client: LanguageClient, folder: Path) -> None:
    uri = open_file(client, folder / "review.mops", PROCESS)
    with pytest.raises(Exception, match="'title' is already a name in this process"):
        await client.text_document_rename_async(
            types.RenameParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=position_of(PROCESS, 'draft "Write'),
                new_name="title",
            )
        )


async def test_outline_lists_the_process_its_inputs_steps_and_outputs(
    client: LanguageClient, folder: Path
) -> None:
    uri = open_file(client, folder / "review.mops", PROCESS)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert symbols is not None
    (process,) = symbols
    assert isinstance(process, types.DocumentSymbol)
    assert (process.name, process.detail) == ("review", "Content review")
    assert [(c.name, c.detail) for c in process.children or []] == [
        ("title", "input: text"),
        ("budget", "input: money"),
        ("draft", "work: Write the draft"),
        ("editorial", "approval: Editorial review"),
        ("publish", "task: Publish"),
        ("published_at", "output"),
    ]


# ---- edits --------------------------------------------------------------------------------


async def test_formatting_is_mops_fmt(client: LanguageClient, folder: Path) -> None:
    untidy = PROCESS.replace("input title: text", "input   title :text").replace(
        "json: {title: title}", "json:{title:title}"
    )
    path = folder / "review.mops"
    path.write_text(untidy)
    uri = open_file(client, path, untidy)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            options=types.FormattingOptions(tab_size=2, insert_spaces=True),
        )
    )
    assert edits is not None
    await asyncio.to_thread(
        subprocess.run, [str(MOPS), "fmt", str(path)], check=True, capture_output=True
    )
    assert apply(untidy, edits) == path.read_text()


def _did_you_mean_examples() -> list[tuple[str, str, str]]:
    found = [
        (code, text, DIRECTORIES.get(code, ""))
        for code, (text, rendered) in EXAMPLES.items()
        if isinstance(rendered, str) and "did you mean" in rendered
    ]
    found += [
        (code, text, "")
        for code, _what, text, rendered in FURTHER_EXAMPLES
        if "did you mean" in rendered
    ]
    return found


@pytest.mark.parametrize(("code", "text", "team"), _did_you_mean_examples())
async def test_every_did_you_mean_hint_is_a_quick_fix(
    client: LanguageClient, tmp_path: Path, code: str, text: str, team: str
) -> None:
    folder = tmp_path / code
    folder.mkdir()
    if team:
        (folder / "team.toml").write_text(team)
    path = folder / "example.mops"
    uri = open_file(client, path, text)
    published = await diagnostics_for(client, uri, 1)
    (problem,) = [d for d in published.diagnostics if d.code == code]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=problem.range,
            context=types.CodeActionContext(diagnostics=[problem]),
        )
    )
    assert actions is not None
    (fix,) = actions
    assert isinstance(fix, types.CodeAction)
    assert fix.kind == types.CodeActionKind.QuickFix
    assert fix.edit is not None and fix.edit.changes is not None
    fixed = apply(text, fix.edit.changes[uri])
    change(client, uri, fixed, 2)
    after = await diagnostics_for(client, uri, 2)
    assert code not in {d.code for d in after.diagnostics}, fix.title


def test_the_server_is_started_by_mops() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from mops.cli import entry; entry()", "lsp", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "Language Server Protocol" in done.stdout
