"""Pictures of a process (Mermaid, Graphviz DOT, SVG) and the ``mops graph`` command."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from itertools import combinations, pairwise
from pathlib import Path

import networkx as nx
import pytest

from dsl import Catalogue, SourceFile, ast, check_source
from dsl._graph import EXIT, JUMP_KINDS, build_graph
from dsl._render import to_dot, to_mermaid, to_svg
from mops import cli
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())
ROOT = Path(__file__).resolve().parent.parent
LAUNCH = ROOT / "tests" / "examples" / "launch.mops"
EXAMPLES = [
    LAUNCH,
    ROOT / "tests" / "examples" / "nurture.mops",
    ROOT / "processes" / "blog_post.mops",
]
SVG = "{http://www.w3.org/2000/svg}"

SMALL = """\
process review_post "Review the post"
  input budget: money = 0 EUR

  task draft "Draft the post" = log.info(message: "draft")

  approval review "Editorial review"
    by role editor
    deadline 2 business days
    escalate to role marketing_lead
    on reject -> draft
    at most 2 rounds, then fail "No agreement"

  if budget > 100 EUR
    wait 1 day

  notify role editor "Published"
"""

ODD = """\
process odd "Fish & <chips> \\"now\\""
  task fry "Fry <it> & \\"serve\\"" = log.info(message: "x")
"""


def process_of(text: str) -> tuple[nx.MultiDiGraph, ast.Process]:
    checked = check_source(SourceFile.from_text(text, "x.mops"), CATALOGUE, base=ROOT)
    assert checked.ok, checked.diagnostics
    assert checked.process is not None
    return build_graph(checked.process), checked.process


def launch() -> tuple[nx.MultiDiGraph, ast.Process]:
    checked = check_source(SourceFile.read(LAUNCH), CATALOGUE, base=LAUNCH.parent)
    assert checked.process is not None
    return build_graph(checked.process), checked.process


def example(path: Path) -> tuple[nx.MultiDiGraph, ast.Process]:
    checked = check_source(SourceFile.read(path), CATALOGUE, base=path.parent)
    assert checked.process is not None
    return build_graph(checked.process), checked.process


# ---- Mermaid and DOT, pinned ----------------------------------------------------------


def test_mermaid_of_a_small_process() -> None:
    assert to_mermaid(*process_of(SMALL)) == (
        "---\n"
        'title: "review_post: Review the post"\n'
        "---\n"
        "flowchart TD\n"
        '    start(("start"))\n'
        '    draft["Draft the post<br/>log.info"]\n'
        '    review("Editorial review<br/>approval by role editor")\n'
        '    if_line_13{"if"}\n'
        '    wait_line_14{{"wait 1 day"}}\n'
        '    if_line_13_merge((" "))\n'
        '    notify_line_16[/"notify role editor"/]\n'
        '    end_((("end")))\n'
        "    start --> draft\n"
        "    draft --> review\n"
        '    review -.->|"after 2 rounds: fail"| end_\n'
        "    review --> if_line_13\n"
        '    review -.->|"on reject, at most 2 rounds"| draft\n'
        '    if_line_13 -->|"budget #gt; 100 EUR"| wait_line_14\n'
        '    if_line_13 -->|"else"| if_line_13_merge\n'
        "    wait_line_14 --> if_line_13_merge\n"
        "    if_line_13_merge --> notify_line_16\n"
        "    notify_line_16 --> end_\n"
    )


def test_dot_of_a_small_process() -> None:
    assert to_dot(*process_of(SMALL)) == (
        'digraph "review_post" {\n'
        '    label="review_post: Review the post";\n'
        "    labelloc=t;\n"
        '    fontname="Helvetica";\n'
        '    node [fontname="Helvetica", fontsize=11];\n'
        '    edge [fontname="Helvetica", fontsize=10];\n'
        '    "start" [shape=circle, label="start"];\n'
        '    "draft" [shape=box, label="Draft the post\\nlog.info"];\n'
        '    "review" [shape=box, style="rounded", label="Editorial review\\n'
        'approval by role editor"];\n'
        '    "if_line_13" [shape=diamond, label="if"];\n'
        '    "wait_line_14" [shape=hexagon, label="wait 1 day"];\n'
        '    "if_line_13.merge" [shape=point, width=0.12];\n'
        '    "notify_line_16" [shape=parallelogram, label="notify role editor"];\n'
        '    "end" [shape=doublecircle, label="end"];\n'
        '    "start" -> "draft";\n'
        '    "draft" -> "review";\n'
        '    "review" -> "end" [label="after 2 rounds: fail", style=dashed];\n'
        '    "review" -> "if_line_13";\n'
        '    "review" -> "draft" [label="on reject, at most 2 rounds", style=dashed];\n'
        '    "if_line_13" -> "wait_line_14" [label="budget > 100 EUR"];\n'
        '    "if_line_13" -> "if_line_13.merge" [label="else"];\n'
        '    "wait_line_14" -> "if_line_13.merge";\n'
        '    "if_line_13.merge" -> "notify_line_16";\n'
        '    "notify_line_16" -> "end";\n'
        "}\n"
    )


def test_jumps_are_labelled_in_the_designers_words() -> None:
    dot = to_dot(*launch())
    for line in (
        '"review" -> "brief" [label="on changes, at most 3 rounds", style=dashed];',
        '"publish" -> "check_page" [label="on error", style=dashed];',
        '"event_line_81" -> "report" [label="deadline", style=dashed];',
        '"go_back_line_83" -> "review" [label="go back, at most 1 time", style=dashed];',
        '"parallel_line_65" -> "for_each_line_75" [label="Social posts"];',
        '"if_line_55" -> "notify_line_63" [label="else"];',
    ):
        assert f"    {line}\n" in dot


def test_long_conditions_are_shortened_at_a_word() -> None:
    condition = "budget > 100 EUR and budget < 5000 EUR and budget != 2500 EUR"
    graph, process = process_of(
        f"process p\n  input budget: money = 0 EUR\n  if {condition}\n    wait 1 day\n"
    )
    assert '-> "wait_line_4" [label="budget > 100 EUR and budget < 5000 EUR…"];' in to_dot(
        graph, process
    )


# ---- every step and edge, in every format ------------------------------------------------


def mermaid_id(node: str) -> str:
    return "end_" if node == "end" else node.replace(".", "_")


def graph_edges(graph: nx.MultiDiGraph) -> Counter[tuple[str, str, bool]]:
    """(from, to, dashed) of every edge: jumps and early ends are dashed."""
    return Counter(
        (u, v, d["kind"] in JUMP_KINDS or d["kind"] == EXIT) for u, v, d in graph.edges(data=True)
    )


def test_mermaid_draws_every_step_and_edge_of_launch() -> None:
    graph, process = launch()
    text = to_mermaid(graph, process)
    nodes = re.findall(r"^    (\w+)[(\[{]", text, flags=re.MULTILINE)
    edges = re.findall(r'^    (\w+) (-->|-\.->)(?:\|"[^"]*"\|)? (\w+)$', text, flags=re.MULTILINE)
    assert nodes == [mermaid_id(n) for n in sorted(graph, key=lambda n: graph.nodes[n]["order"])]
    expected = Counter(
        (mermaid_id(u), mermaid_id(v), d)
        for (u, v, d), n in graph_edges(graph).items()
        for _ in range(n)
    )
    assert Counter((u, v, link == "-.->") for u, link, v in edges) == expected


def test_dot_draws_every_step_and_edge_of_launch() -> None:
    graph, process = launch()
    text = to_dot(graph, process)
    nodes = re.findall(r'^    "([^"]+)" \[', text, flags=re.MULTILINE)
    edges = re.findall(r'^    "([^"]+)" -> "([^"]+)"(.*);$', text, flags=re.MULTILINE)
    assert set(nodes) == set(graph) and len(nodes) == len(graph)
    assert Counter((u, v, "style=dashed" in rest) for u, v, rest in edges) == graph_edges(graph)


def test_svg_draws_every_step_and_edge_of_launch() -> None:
    graph, process = launch()
    root = ET.fromstring(to_svg(graph, process))
    steps = [g.get("data-node", "") for g in root.iter(f"{SVG}g") if g.get("data-node")]
    arrows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "arrow"]
    assert sorted(steps) == sorted(graph)
    drawn = {(g.get("data-source"), g.get("data-target"), g.get("data-key")) for g in arrows}
    assert drawn == set(graph.edges(keys=True)) and len(arrows) == graph.number_of_edges()
    dashed = Counter(
        (g.get("data-source"), g.get("data-target"), "stroke-dasharray" in g[0].attrib)
        for g in arrows
    )
    assert dashed == graph_edges(graph)


# ---- SVG -------------------------------------------------------------------------------


def boxes(svg: str) -> dict[str, tuple[float, float, float, float]]:
    """Each step's bounding box (left, top, right, bottom), from the shapes drawn."""
    found: dict[str, tuple[float, float, float, float]] = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        node = group.get("data-node")
        if node is None:
            continue
        shape = group[0]
        tag = shape.tag.removeprefix(SVG)
        if tag == "rect":
            x, y = float(shape.get("x", 0)), float(shape.get("y", 0))
            found[node] = (
                x,
                y,
                x + float(shape.get("width", 0)),
                y + float(shape.get("height", 0)),
            )
        elif tag == "polygon":
            points = [tuple(map(float, p.split(","))) for p in shape.get("points", "").split()]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            found[node] = (min(xs), min(ys), max(xs), max(ys))
        else:
            assert tag == "circle", tag
            cx, cy, r = (float(shape.get(a, 0)) for a in ("cx", "cy", "r"))
            found[node] = (cx - r, cy - r, cx + r, cy + r)
    return found


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_svg_is_xml_and_the_same_every_time(path: Path) -> None:
    first = to_svg(*example(path), highlight=["start"])
    again = to_svg(*example(path), highlight={"start"})
    assert first == again
    root = ET.fromstring(first)
    assert root.tag == f"{SVG}svg"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_svg_boxes_do_not_overlap(path: Path) -> None:
    found = boxes(to_svg(*example(path)))
    for (a, (l1, t1, r1, b1)), (b, (l2, t2, r2, b2)) in combinations(found.items(), 2):
        assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, f"{a} overlaps {b}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_svg_arrows_pass_through_no_step_they_do_not_join(path: Path) -> None:
    svg = to_svg(*example(path))
    found = boxes(svg)
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") != "arrow":
            continue
        ends = {group.get("data-source", ""), group.get("data-target", "")}
        points = [tuple(map(float, p.split(","))) for p in group[0].get("points", "").split()]
        for (x1, y1), (x2, y2) in pairwise(points):
            for step in range(101):
                x, y = x1 + (x2 - x1) * step / 100, y1 + (y2 - y1) * step / 100
                for node, (left, top, right, bottom) in found.items():
                    inside = left + 1 < x < right - 1 and top + 1 < y < bottom - 1
                    assert node in ends or not inside, f"{sorted(ends)} crosses {node}"


def test_svg_highlights_the_steps_a_campaign_took() -> None:
    graph, process = launch()
    root = ET.fromstring(to_svg(graph, process, highlight=["brief", "review", "tier"]))
    marked = {g.get("data-node"): g for g in root.iter(f"{SVG}g") if g.get("data-node")}
    emphasised = {node for node, g in marked.items() if "highlight" in (g.get("class") or "")}
    assert emphasised == {"brief", "review", "tier"}
    assert marked["brief"][0].get("stroke") != marked["route"][0].get("stroke")


def test_svg_refuses_to_highlight_a_step_the_process_lacks() -> None:
    graph, process = launch()
    with pytest.raises(ValueError, match=r"does not have: \['breif'\]") as raised:
        to_svg(graph, process, highlight=["brief", "breif"])
    assert "breif" in str(raised.value)


def test_titles_with_markup_characters_are_escaped_in_every_format() -> None:
    graph, process = process_of(ODD)
    root = ET.fromstring(to_svg(graph, process))
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert 'odd: Fish & <chips> "now"' in texts
    assert root.findtext(f"{SVG}title") == 'odd: Fish & <chips> "now"'
    assert 'Fry <it> & "serve"' in texts
    assert '"fry" [shape=box, label="Fry <it> & \\"serve\\"\\nlog.info"];' in to_dot(graph, process)
    assert 'fry["Fry #lt;it#gt; #amp; #quot;serve#quot;<br/>log.info"]' in to_mermaid(
        graph, process
    )


# ---- mops graph --------------------------------------------------------------------------


def test_graph_prints_mermaid_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["graph", str(LAUNCH)]) == 0
    assert capsys.readouterr().out == to_mermaid(*launch())


@pytest.mark.parametrize("drawing", ["mermaid", "dot", "svg"])
def test_graph_prints_each_format(drawing: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["graph", str(LAUNCH), "--format", drawing]) == 0
    out = capsys.readouterr().out
    expected = {"mermaid": to_mermaid, "dot": to_dot, "svg": to_svg}[drawing](*launch())
    assert out == expected


def test_graph_writes_the_output_file_in_the_format_its_name_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    picture = tmp_path / "launch.svg"
    assert cli.main(["graph", str(LAUNCH), "--output", str(picture)]) == 0
    assert ET.fromstring(picture.read_text(encoding="utf-8")).tag == f"{SVG}svg"
    chart = tmp_path / "launch.txt"
    assert cli.main(["graph", str(LAUNCH), "-o", str(chart), "--format", "dot"]) == 0
    assert chart.read_text(encoding="utf-8") == to_dot(*launch())
    assert capsys.readouterr().out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["launch.svg", "launch.txt"]


def test_graph_keeps_the_permissions_of_a_file_it_replaces(tmp_path: Path) -> None:
    chart = tmp_path / "launch.mmd"
    chart.write_text("old")
    chart.chmod(0o640)
    assert cli.main(["graph", str(LAUNCH), "--output", str(chart)]) == 0
    assert chart.read_text(encoding="utf-8") == to_mermaid(*launch())
    assert chart.stat().st_mode & 0o777 == 0o640


def test_graph_of_a_file_with_errors_prints_them_and_draws_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.mops"
    bad.write_text('process p\n  task t = log.inf(message: "x")\n')
    picture = tmp_path / "bad.svg"
    assert cli.main(["graph", str(bad), "--output", str(picture)]) == 1
    captured = capsys.readouterr()
    assert f"{bad}:2:12: error[N003]: no worker provides the action 'log.inf'" in captured.err
    assert f"{bad}: 1 error, not drawn" in captured.err
    assert captured.out == ""
    assert not picture.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.mops"], "mops: missing.mops: no such file\n"),
        (["processes"], "mops: processes: is a folder, not a process file\n"),
        ([str(LAUNCH), "-o", "/nonexistent/x.svg"], "mops: /nonexistent/x.svg: cannot be written"),
    ],
)
def test_graph_mistakes_are_one_line_and_exit_1(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    assert cli.main(["graph", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert "Traceback" not in err
