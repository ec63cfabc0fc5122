"""The process graph: its shape, and the problems only the whole graph shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import Catalogue, Diagnostic, SourceFile, ast, check_file, check_source
from dsl._check import check
from dsl._graph import END, START, build_graph
from dsl._graph_checks import graph_problems
from dsl._graph_names import immediate_dominators
from dsl._parser import parse_source
from engine.compiler import compile_file
from engine.ir import iter_steps
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())
EXAMPLES = Path(__file__).parent / "examples"
LOG = 'log.info(message: "x")'


def process_of(text: str) -> ast.Process:
    process = check_source(SourceFile.from_text(text, "x.mops"), CATALOGUE).process
    assert process is not None
    return process


def graph_of(*lines: str) -> nx.MultiDiGraph:
    return build_graph(process_of(source(*lines)))


def source(*lines: str) -> str:
    return "process launch\n  input lead: email\n" + "".join(f"  {line}\n" for line in lines)


def problems(*lines: str) -> list[tuple[str, int, int, str]]:
    """(code, line, column, message) of every graph problem, in file order."""
    process = process_of(source(*lines))
    found = graph_problems(process, build_graph(process))
    return sorted((d.code, d.span.line, d.span.col, d.message) for d in found)


def edges(graph: nx.MultiDiGraph) -> set[tuple[str, str, str, str]]:
    """(from, to, key, kind) of every edge."""
    return {(u, v, k, d["kind"]) for u, v, k, d in graph.edges(keys=True, data=True)}


def edge(graph: nx.MultiDiGraph, u: str, v: str, key: str) -> dict[str, Any]:
    data: dict[str, Any] = graph.edges[u, v, key]
    return {k: value for k, value in data.items() if k != "span"}


# ---- shape ---------------------------------------------------------------------------


def test_a_sequence_runs_from_start_through_every_step_to_end() -> None:
    graph = graph_of(f"task greet = {LOG}", "wait 2 days", 'notify role sales "done"')

    assert list(graph) == [START, "greet", "wait_line_4", "notify_line_5", END]
    assert edges(graph) == {
        (START, "greet", "next", "seq"),
        ("greet", "wait_line_4", "next", "seq"),
        ("wait_line_4", "notify_line_5", "next", "seq"),
        ("notify_line_5", END, "next", "seq"),
    }
    assert graph.nodes["greet"]["kind"] == "task"
    assert graph.nodes["wait_line_4"]["title"] == "wait 2 days"
    assert isinstance(graph.nodes["greet"]["node"], ast.Task)


def test_an_if_splits_and_merges_and_a_missing_else_goes_straight_to_the_merge() -> None:
    graph = graph_of('if lead == "a@b.de"', f"  task vip = {LOG}", "else if false", "  wait 1 day")

    assert edges(graph) == {
        (START, "if_line_3", "next", "seq"),
        ("if_line_3", "vip", "branch", "branch"),
        ("if_line_3", "wait_line_6", "branch", "branch"),
        ("if_line_3", "if_line_3.merge", "else", "branch"),
        ("vip", "if_line_3.merge", "next", "seq"),
        ("wait_line_6", "if_line_3.merge", "next", "seq"),
        ("if_line_3.merge", END, "next", "seq"),
    }
    assert graph.nodes["if_line_3.merge"]["kind"] == "merge"


def test_a_parallel_forks_and_joins_and_each_edge_into_the_join_names_its_branch() -> None:
    graph = graph_of("parallel 1 of", f"  task web = {LOG}", "  branch print", "    wait 1 day")

    assert graph.nodes["parallel_line_3"]["join"] == "count"
    assert graph.nodes["parallel_line_3.join"].items() >= {"kind": "join", "count": 1}.items()
    assert edge(graph, "web", "parallel_line_3.join", "next") == {"kind": "seq", "branch": 0}
    assert edge(graph, "wait_line_6", "parallel_line_3.join", "next") == {
        "kind": "seq",
        "branch": 1,
    }
    assert graph.nodes["wait_line_6"]["scope"] == (("parallel_line_3", 1),)


def test_a_for_each_loops_back_to_its_node_bounded_by_the_items() -> None:
    graph = graph_of('for each channel in ["web", "print"]', f"  task post = {LOG}")

    assert edges(graph) == {
        (START, "for_each_line_3", "next", "seq"),
        ("for_each_line_3", "post", "item", "loop"),
        ("post", "for_each_line_3", "next", "loop"),
        ("for_each_line_3", END, "done", "seq"),
    }
    assert edge(graph, "post", "for_each_line_3", "next")["items"] is True


def test_every_kind_of_jump_is_an_edge_with_its_bound() -> None:
    graph = graph_of(
        f"task draft = {LOG}",
        "  on error -> report",
        "approval review",
        "  by role editor",
        "  on reject -> draft",
        "  on changes -> draft",
        '  at most 3 rounds, then fail "no"',
        'wait for event "lead.replied" key lead, deadline 3 days -> report',
        "go back to review, at most 2 times",
        f"task report = {LOG}",
    )

    assert edge(graph, "draft", "report", "error") == {"kind": "error"}
    assert edge(graph, "review", "draft", "reject") == {"kind": "back", "rounds": 3}
    assert edge(graph, "review", "draft", "changes") == {"kind": "back", "rounds": 3}
    assert edge(graph, "review", END, "rounds") == {"kind": "exit", "outcome": "failed"}
    assert edge(graph, "event_line_10", "report", "deadline") == {"kind": "timeout"}
    assert edge(graph, "go_back_line_11", "review", "go back") == {"kind": "back", "times": 2}
    assert graph.edges["draft", "report", "error"]["span"].line == 4


def test_rounds_may_end_by_going_on_or_by_jumping() -> None:
    graph = graph_of(
        f"task draft = {LOG}",
        "approval review",
        "  by role editor",
        "  on reject -> draft",
        "  at most 2 rounds, then continue",
        "approval legal",
        "  by role lawyer",
        "  on changes -> draft",
        "  at most 2 rounds, then -> escalate",
        f"task escalate = {LOG}",
    )

    assert edge(graph, "review", "legal", "rounds") == {"kind": "seq"}
    assert edge(graph, "legal", "escalate", "rounds") == {"kind": "jump"}


def test_fail_ends_the_process_and_exit_ends_its_block() -> None:
    graph = graph_of(
        'exit when event "campaign.cancelled" key lead',
        "parallel",
        "  branch web",
        '    exit when event "web.cancelled" key lead',
        f"    task publish = {LOG}",
        "  branch print",
        '    fail "no printer"',
    )

    assert edge(graph, "exit_line_3", END, "exit") == {"kind": "exit", "outcome": "exited"}
    assert edge(graph, "exit_line_6", "parallel_line_4.join", "exit") == {
        "kind": "exit",
        "branch": 0,
    }
    assert edge(graph, "fail_line_9", END, "fail") == {"kind": "exit", "outcome": "failed"}
    assert not any(v != END for _u, v in graph.out_edges("fail_line_9"))


def test_the_graph_has_the_step_ids_of_the_ir_in_file_order() -> None:
    compiled, checked = compile_file(EXAMPLES / "launch.mops", CATALOGUE)
    assert checked.process is not None
    graph = build_graph(checked.process)

    ids = [n for n, d in sorted(graph.nodes(data=True), key=lambda x: x[1]["order"])]
    steps = [n for n in ids if graph.nodes[n]["node"] is not None]
    assert steps == [step.id for step in iter_steps(compiled.body)]


def test_the_full_example_has_no_graph_problems_and_every_step_can_end() -> None:
    checked = check_file(EXAMPLES / "launch.mops", CATALOGUE)
    assert checked.process is not None
    graph = build_graph(checked.process)

    assert graph_problems(checked.process, graph) == []
    assert nx.descendants(graph, START) | {START} == set(graph)
    assert all(nx.has_path(graph, node, END) for node in graph)


def test_a_jump_to_a_step_that_does_not_exist_is_left_out() -> None:
    graph = graph_of(f"task draft = {LOG}", "  on error -> drafft")

    assert list(graph.out_edges("draft", keys=True)) == [("draft", END, "next")]


# ---- G001: steps that can never run ---------------------------------------------------


def test_a_step_after_fail_can_never_run_and_is_reported_once_per_stretch() -> None:
    assert problems(f"task a = {LOG}", 'fail "stop"', f"task b = {LOG}", f"task c = {LOG}") == [
        ("G001", 5, 8, "the step 'b' can never run: no path from the start leads to it")
    ]


def test_a_step_after_an_if_whose_every_branch_fails_can_never_run() -> None:
    process = process_of(
        source("if false", '  fail "a"', "else", '  fail "b"', 'notify role sales "never"')
    )
    [problem] = graph_problems(process, build_graph(process))

    assert (problem.code, problem.message) == (
        "G001",
        "this 'notify' can never run: no path from the start leads to it",
    )
    assert (
        problem.hint
        == "every way to it ends in 'fail' first; remove it, or change the steps before it"
    )


# ---- G002: joins that can never fire ----------------------------------------------------


def test_a_parallel_waiting_for_all_cannot_finish_when_a_branch_always_fails() -> None:
    assert problems("parallel", f"  task web = {LOG}", "  branch print", '    fail "no"') == [
        (
            "G002",
            3,
            3,
            "this 'parallel' waits for all 2 branches, but only 1 can finish: 'print' always "
            "ends in 'fail'",
        )
    ]


def test_n_of_counts_the_branches_that_can_finish() -> None:
    assert problems(
        "parallel 2 of", f"  task web = {LOG}", '  fail "a"', "  branch print", '    fail "b"'
    ) == [
        (
            "G002",
            3,
            3,
            "this 'parallel' waits for 2 of its 3 branches, but only 1 can finish: the branch "
            "on line 5, 'print' always end in 'fail'",
        )
    ]


def test_first_needs_one_branch_that_can_finish() -> None:
    assert problems("parallel first", '  fail "a"', '  fail "b"')[0][3] == (
        "this 'parallel' waits for the first branch to finish, but none can finish: the branch "
        "on line 4, the branch on line 5 always end in 'fail'"
    )
    assert problems("parallel first", '  fail "a"', "  wait 1 day") == []


def test_a_branch_that_may_fail_can_still_finish() -> None:
    assert (
        problems("parallel", "  branch web", "    if false", '      fail "a"', "  wait 1 day") == []
    )


# ---- G003: jumps into a block ------------------------------------------------------------


def test_a_jump_into_another_parallel_branch_is_an_error() -> None:
    assert problems(
        "parallel",
        f"  task web = {LOG}",
        "    on error -> print",
        "  branch paper",
        f"    task print = {LOG}",
    ) == [("G003", 5, 19, "the jump to 'print' enters the parallel branch 'paper' from outside it")]


def test_the_hint_for_a_jump_into_a_sibling_branch_does_not_send_it_out_of_its_own() -> None:
    text = source("parallel", f"  task web = {LOG}", "    on error -> ad", f"  task ad = {LOG}")
    [problem] = check_source(SourceFile.from_text(text, "x.mops"), CATALOGUE).diagnostics
    assert problem.code == "G003"
    assert problem.hint == (
        "a branch starts only with its 'parallel' and a jump cannot leave its own branch: move"
        " 'ad' into the branch that jumps, or let that branch fail"
    )


def test_a_jump_into_a_for_each_is_an_error() -> None:
    assert problems(
        f"task start_posting = {LOG}",
        "  on error -> post",
        'for each channel in ["web"]',
        f"  task post = {LOG}",
    ) == [("G003", 4, 17, "the jump to 'post' enters a 'for each' from outside it")]


def test_a_jump_out_of_a_for_each_ends_the_loop_and_is_allowed() -> None:
    assert (
        problems(
            "parallel",
            f"  task web = {LOG}",
            "  branch social",
            '    for each channel in ["x"]',
            f"      task post = {LOG}",
            "        on error -> fix",
            f"    task fix = {LOG}",
            f"task report = {LOG}",
        )
        == []
    )


# ---- G007: jumps out of a parallel branch ----------------------------------------------


def test_every_kind_of_jump_out_of_a_parallel_branch_is_an_error() -> None:
    found = problems(
        f"task draft = {LOG}",
        "parallel",
        f"  task web = {LOG}",
        "    on error -> report",
        "  branch review",
        "    approval sign_off",
        "      by role editor",
        "      deadline 2 days",
        "      on reject -> draft",
        "      on changes -> draft",
        "      at most 2 rounds, then -> report",
        "  branch reply",
        '    wait for event "lead.replied" key lead, deadline 3 days -> report',
        "    go back to draft, at most 2 times",
        f"task report = {LOG}",
    )
    assert [(code, line, column) for code, line, column, _ in found] == [
        ("G007", 6, 19),  # on error
        ("G007", 11, 22),  # on reject
        ("G007", 12, 23),  # on changes
        ("G007", 13, 35),  # when the rounds run out
        ("G007", 15, 66),  # an event's deadline
        ("G007", 16, 18),  # go back
    ]
    assert found[0][3] == "the jump to 'report' leaves the parallel branch on line 5"
    assert found[1][3] == "the jump to 'draft' leaves the parallel branch 'review'"


def test_a_jump_out_of_a_for_each_inside_a_branch_still_may_not_leave_the_branch() -> None:
    found = check_source(
        SourceFile.from_text(
            source(
                "parallel",
                "  branch social",
                '    for each channel in ["x"]',
                f"      task post = {LOG}",
                "        on error -> fix",
                f"  task web = {LOG}",
                f"task fix = {LOG}",
            ),
            "x.mops",
        ),
        CATALOGUE,
    ).diagnostics
    assert [(d.code, d.span.line, d.span.col) for d in found] == [("G007", 7, 23)]
    assert found[0].hint == (
        "a branch ends only by finishing or failing: let the branch fail, or move 'fix' inside"
        " the branch; the innermost 'parallel' is at line 3"
    )


def test_a_jump_out_of_an_inner_parallel_names_the_innermost_one() -> None:
    found = check_source(
        SourceFile.from_text(
            source(
                "parallel",
                "  branch outer",
                "    parallel first",
                f"      task web = {LOG}",
                "        on error -> fix",
                f"      task print = {LOG}",
                f"    task fix = {LOG}",
                f"  task mail = {LOG}",
            ),
            "x.mops",
        ),
        CATALOGUE,
    ).diagnostics
    assert [(d.code, d.span.line) for d in found] == [("G007", 7)]
    assert found[0].hint is not None and found[0].hint.endswith("is at line 5")


def test_a_jump_inside_its_own_parallel_branch_is_allowed() -> None:
    assert (
        problems(
            "parallel",
            "  branch web",
            f"    task draft = {LOG}",
            f"    task publish = {LOG}",
            "      on error -> fix",
            "    go back to draft, at most 1 time",
            f"    task fix = {LOG}",
            f"  task print = {LOG}",
        )
        == []
    )


# ---- G006: jumps into an if branch ----------------------------------------------------------
# The interpreter looks for a jump's target in the block of the step that
# jumps, then in each block around it (engine/jumps.py): a step inside a
# branch of an 'if' is found only from that same branch.


def test_rework_cannot_go_back_into_an_if_branch() -> None:
    assert problems("if true", f"  task draft = {LOG}", "go back to draft, at most 1 time") == [
        ("G006", 5, 14, "the jump to 'draft' enters a branch of the 'if' on line 3 from outside it")
    ]


def test_a_jump_from_one_if_branch_into_another_is_an_error() -> None:
    assert problems(
        "if true",
        f"  task publish = {LOG}",
        "    on error -> fix",
        "else",
        f"  task fix = {LOG}",
    ) == [
        ("G006", 5, 19, "the jump to 'fix' enters the 'else' of the 'if' on line 3 from outside it")
    ]


def test_a_jump_out_of_a_parallel_branch_into_an_if_branch_is_reported_once() -> None:
    assert problems(
        "parallel",
        f"  task web = {LOG}",
        "    on error -> fix",
        "  branch social",
        f"    task post = {LOG}",
        "if true",
        f"  task fix = {LOG}",
    ) == [
        ("G006", 5, 19, "the jump to 'fix' enters a branch of the 'if' on line 8 from outside it")
    ]


def test_a_jump_within_an_if_branch_or_out_of_it_is_allowed() -> None:
    assert (
        problems(
            "if true",
            f"  task draft = {LOG}",
            "    on error -> fallback",
            f"  task fallback = {LOG}",
            "  if false",
            f"    task post = {LOG}",
            "      on error -> fix",
            "  go back to draft, at most 1 time",
            f"task fix = {LOG}",
        )
        == []
    )


# ---- G004: loops without a bound ----------------------------------------------------------


def test_rework_with_no_rounds_and_no_deadline_is_an_unbounded_loop() -> None:
    assert problems(
        f"task draft = {LOG}", "approval review", "  by role editor", "  on reject -> draft"
    ) == [
        (
            "G004",
            6,
            18,
            "the loop back to 'draft' has no bound: 'review' can send the work back any number "
            "of times",
        )
    ]


def test_rounds_or_a_human_deadline_bound_a_rework_loop() -> None:
    review = ["approval review", "  by role editor", "  on reject -> draft"]
    assert problems(f"task draft = {LOG}", *review, "  at most 2 rounds, then fail") == []
    assert problems(f"task draft = {LOG}", *review, "  deadline 2 business days") == []


def test_a_task_that_jumps_back_to_itself_on_error_loops_forever() -> None:
    process = process_of(source(f"task publish = {LOG}", "  on error -> publish"))
    [problem] = graph_problems(process, build_graph(process))

    assert (problem.code, problem.span.line, problem.message) == (
        "G004",
        4,
        "the loop back to 'publish' has no bound: while 'publish' keeps failing, it runs again "
        "and again",
    )
    assert problem.hint == (
        "'retry' already tries a task again; on error, jump to a later step, or put a human "
        "step with a deadline in the loop"
    )


def test_the_last_round_jumping_back_starts_the_rounds_over() -> None:
    assert problems(
        f"task draft = {LOG}",
        "approval review",
        "  by role editor",
        "  on reject -> draft",
        "  at most 2 rounds, then -> draft",
    ) == [
        (
            "G004",
            7,
            31,
            "the loop back to 'draft' has no bound: after its last round, 'review' starts the "
            "rounds over",
        )
    ]


def test_go_back_is_bounded_by_its_times() -> None:
    assert problems(f"task draft = {LOG}", "go back to draft, at most 3 times") == []


# ---- G005: rework that goes forward --------------------------------------------------------


def test_go_back_to_a_later_step_is_an_error() -> None:
    assert problems("go back to report, at most 1 time", f"task report = {LOG}") == [
        (
            "G005",
            3,
            14,
            "'go back to report' must go back to an earlier step, but 'report' comes after it",
        )
    ]


def test_an_approval_cannot_send_work_back_to_itself() -> None:
    assert problems(
        "approval review",
        "  by role editor",
        "  deadline 2 business days",
        "  on changes -> review",
        "  at most 2 rounds",
    ) == [
        (
            "G005",
            6,
            19,
            "'on changes -> review' must go back to an earlier step, but 'review' is this step "
            "itself",
        )
    ]


# ---- G103: a wait for an event without a deadline --------------------------------------------


def test_a_wait_for_an_event_without_a_deadline_is_a_warning_that_allow_silences() -> None:
    wait = 'wait for event "lead.replied" key lead'
    assert problems(wait) == [
        ("G103", 3, 3, 'the wait for event "lead.replied" has no deadline: it may wait forever')
    ]
    silenced = process_of(source(wait).replace("  input lead", "  allow G103\n  input lead"))
    assert graph_problems(silenced, build_graph(silenced)) == []


def test_allow_does_not_silence_an_error() -> None:
    looping = source(f"task publish = {LOG}", "  on error -> publish")
    process = process_of(looping.replace("  input lead", "  allow G004\n  input lead"))

    assert [d.code for d in graph_problems(process, build_graph(process))] == ["G004"]


# ---- N007: definite assignment through jumps -------------------------------------------------


SKIPPING_JUMP = source(
    f"task fetch = {LOG}",
    "  on error -> fix_page",
    f"task page = {LOG}",
    'task fix_page = log.info(message: "Fix {page.logged_at}")',
)


def test_a_forward_on_error_jump_that_skips_a_definition_makes_its_use_undefined() -> None:
    process = process_of(SKIPPING_JUMP)

    [problem] = graph_problems(process, build_graph(process))

    assert (problem.code, problem.span.line, problem.span.col) == ("N007", 6, 43)
    assert problem.message == (
        "'page' may not be defined here: not every path to this line runs the step that "
        "defines it (line 5)"
    )


def test_the_block_walk_alone_does_not_see_the_jump() -> None:
    parsed = parse_source(SourceFile.from_text(SKIPPING_JUMP, "x.mops"))
    assert parsed.file is not None

    assert [d.code for d in check(parsed.file, CATALOGUE)] == []


def test_a_use_already_reported_by_the_name_checker_is_not_reported_twice() -> None:
    process = process_of(SKIPPING_JUMP)
    graph = build_graph(process)
    [found] = graph_problems(process, graph)

    reported = Diagnostic("N007", found.message, found.span)
    assert graph_problems(process, graph, already=[reported]) == []


def test_a_deadline_jump_skips_the_name_the_event_binds() -> None:
    assert problems(
        'wait for event "lead.replied" key lead as reply, deadline 3 days -> chase',
        f"task thank = {LOG}",
        'task chase = log.info(message: "{reply}")',
    ) == [
        (
            "N007",
            5,
            36,
            "'reply' may not be defined here: not every path to this line runs the step that "
            "defines it (line 3)",
        )
    ]


def test_an_exit_in_a_branch_skips_what_follows_it_in_that_branch() -> None:
    assert problems(
        "parallel",
        "  branch web",
        '    exit when event "web.cancelled" key lead',
        f"    task publish = {LOG}",
        f"  task print = {LOG}",
        'task report = log.info(message: "{publish.logged_at} {print.logged_at}")',
    ) == [
        (
            "N007",
            8,
            37,
            "'publish' may not be defined here: not every path to this line runs the step that "
            "defines it (line 6)",
        )
    ]


def test_what_every_branch_of_a_parallel_all_defines_is_defined_after_it() -> None:
    assert (
        problems(
            "parallel",
            f"  task web = {LOG}",
            "  branch print",
            "    set copies = 100",
            f"task fix = {LOG}",
            'task report = log.info(message: "{web.logged_at} {copies}")',
        )
        == []
    )


def test_a_variable_set_on_every_way_is_defined_and_a_task_may_undo_with_its_result() -> None:
    assert (
        problems(
            "if true",
            '  set channel = "web"',
            "else",
            '  set channel = "print"',
            'task publish = log.info(message: "{channel}")',
            '  undo with log.info(message: "{publish.logged_at}")',
        )
        == []
    )


@given(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda size: st.lists(
            st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=3 * size
        ).map(lambda edges: (size, edges))
    )
)
@settings(max_examples=300, deadline=None)
def test_dominators_are_those_networkx_finds(shape: tuple[int, list[tuple[int, int]]]) -> None:
    size, edges = shape
    succ: list[list[int]] = [[] for _ in range(size)]
    for a, b in edges:
        succ[a].append(b)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(size))
    graph.add_edges_from(edges)
    # networkx 3.6 leaves the start out; earlier versions map it to itself.
    expected = nx.immediate_dominators(graph, 0)
    expected.pop(0, None)
    found = immediate_dominators(succ, 0)
    assert {node: d for node, d in enumerate(found) if d >= 0} == {0: 0, **expected}
