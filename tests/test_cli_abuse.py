"""Arguments a careless user or a script may give ``mops``: bytes that are not UTF-8,
numbers of thousands of digits, texts past the limits. Each is one line on stderr and
exit code 1, never a traceback (issue 16: they exited 70 with one), and none of them
needs a running server to be refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mops_cli import Mops

BLOG = "processes/blog_post.mops"
NOT_UTF8 = "Spring \udcff\udcfe launch"
"""What Python makes of the bytes b'Spring \\xff\\xfe launch' on a command line."""
DIGITS = "1" * 5_001

CASES: dict[str, tuple[list[str], str]] = {
    "an input that is not UTF-8": (
        ["run", BLOG, "-i", f"title={NOT_UTF8}"],
        "mops: argument 4 is not valid UTF-8 text (after 'title=Spring '): give every "
        "argument as UTF-8",
    ),
    "a comment that is not UTF-8": (
        ["approve", "c-1", "review", "--as", "ana", "--comment", NOT_UTF8],
        "mops: argument 7 is not valid UTF-8 text (after 'Spring '): give every argument as UTF-8",
    ),
    "event data that is not UTF-8": (
        ["send-event", "lead.replied", "--key", "k", "--data", '{"a": "' + NOT_UTF8 + '"}'],
        'mops: argument 6 is not valid UTF-8 text (after \'{"a": "Spring \'): give every '
        "argument as UTF-8",
    ),
    "event data with a number of 5,001 digits": (
        ["send-event", "lead.replied", "--key", "k", "--data", '{"n": ' + DIGITS + "}"],
        "mops: --data cannot be read: Exceeds the limit (4300 digits) for integer string "
        "conversion: value has 5001 digits; use sys.set_int_max_str_digits() to increase the "
        "limit",
    ),
    "a list input with a number of 5,001 digits": (
        ["run", BLOG, "-i", "title=x", "-i", f"channels=[{DIGITS}]"],
        "mops: input 'channels': holds a number too long to read (more than 4,300 digits)",
    ),
    "an amount of 5,001 digits": (
        ["run", BLOG, "-i", "title=x", "-i", f"budget={DIGITS} EUR"],
        "mops: input 'budget': '11111111111111111...' is too large or too small a number",
    ),
    "a made-up currency": (
        ["run", BLOG, "-i", "title=x", "-i", "budget=5000 XYZ"],
        "mops: input 'budget': 'XYZ' is not an ISO 4217 currency code such as EUR or USD",
    ),
    "an amount that would be rounded": (
        ["run", BLOG, "-i", "title=x", "-i", "budget=12345678901234567890123456789.01 EUR"],
        "mops: input 'budget': '12345678901234567...' has more than 28 significant digits, "
        "more than a campaign keeps exactly",
    ),
    "a title of 120,000 characters": (
        ["run", BLOG, "-i", "title=" + "x" * 120_000],
        "mops: input 'title': holds a text of 120,000 characters (at most 100,000)",
    ),
}


@pytest.mark.parametrize(("args", "said"), CASES.values(), ids=CASES.keys())
def test_a_bad_argument_is_one_line_and_exit_1(tmp_path: Path, args: list[str], said: str) -> None:
    done = Mops(tmp_path)(*args)
    assert (done.returncode, done.stderr.strip()) == (1, said)
    assert not (tmp_path / "server.json").exists()  # refused before reaching a server
