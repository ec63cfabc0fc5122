"""One bad example per diagnostic code: the process text and what ``mops check`` prints.

Plain data, shared by ``tests/test_diagnostics.py`` (which pins every message,
position and hint) and the generator/checker of ``docs/diagnostics.md``. Each
rendering is ``Diagnostic.render`` for a file named ``example.mops``, and each
example produces exactly that one diagnostic.

A text is saved as UTF-8, except where :data:`ENCODINGS` names another
encoding: the S001 example is a file saved as Latin-1, which is what makes it
bad.
"""

from __future__ import annotations

FILE_NAME = "example.mops"

ENCODINGS: dict[str, str] = {"S001": "latin-1"}

EXAMPLES: dict[str, tuple[str, str]] = {
    "S001": (
        'process menu "Café menu"\n  task announce = log.info(message: "Café opens")\n',
        (
            "example.mops:1:18: error[S001]: the file is not UTF-8 text (byte 17 cannot"
            " be decoded)\n"
            '    1 | process menu "Caf\ufffd menu"\n'
            "      |                  ^\n"
            "  hint: save it as UTF-8; process files are plain text"
        ),
    ),
    "S002": (
        'process welcome\n  task greet log.info(message: "Hello")\n',
        (
            "example.mops:2:14: error[S002]: a task needs '=' between its name and the"
            " action it calls\n"
            '    2 |   task greet log.info(message: "Hello")\n'
            "      |              ^^^\n"
            "  hint: write: task draft = cms.create_draft(title: title)"
        ),
    ),
    "S003": (
        'process welcome\n\ttask greet = log.info(message: "Hello")\n',
        (
            "example.mops:2:1: error[S003]: this line is indented with a tab\n"
            '    2 | \ttask greet = log.info(message: "Hello")\n'
            "      | ^\n"
            "  hint: indent with spaces only (two per level is the house style)"
        ),
    ),
    "S004": (
        'process welcome\n  task greet = log.info(message: "Hello)\n',
        (
            "example.mops:2:34: error[S004]: this text is not closed: a '\"' is missing"
            " before the end of the line\n"
            '    2 |   task greet = log.info(message: "Hello)\n'
            "      |                                  ^\n"
            '  hint: texts stay on one line; write \\" for a quote inside a text'
        ),
    ),
    "S005": (
        (
            "process welcome\n"
            "  input vip: bool\n"
            "  if vip\n"
            '    task greet = log.info(message: "Hello")\n'
            '   task thank = log.info(message: "Thanks")\n'
        ),
        (
            "example.mops:5:4: error[S005]: this line is indented by 3 spaces, which"
            " matches no open block\n"
            '    5 |    task thank = log.info(message: "Thanks")\n'
            "      |    ^\n"
            "  hint: the open blocks are indented by 4 or 2 or 0 spaces; line it up with"
            " one of them"
        ),
    ),
    "S006": (
        "# welcome: greet new subscribers\n# (to be written)\n",
        (
            "example.mops:1:1: error[S006]: the file has no process in it\n"
            "    1 | # welcome: greet new subscribers\n"
            "      | ^\n"
            '  hint: start with: process my_process "What it does"'
        ),
    ),
    "S007": (
        "process welcome\n  task greet = log.info(message: 'Hello')\n",
        (
            "example.mops:2:34: error[S007]: a single quote (') has no meaning here\n"
            "    2 |   task greet = log.info(message: 'Hello')\n"
            "      |                                  ^\n"
            '  hint: texts are written in double quotes: "like this"'
        ),
    ),
    "S008": (
        'process welcome\n  input name: text\n  task greet = log.info(message: "Hello {}")\n',
        (
            "example.mops:3:41: error[S008]: the interpolation at column 41 is empty\n"
            '    3 |   task greet = log.info(message: "Hello {}")\n'
            "      |                                         ^^\n"
            "  hint: write {name} to insert a value, or {{ for a literal brace"
        ),
    ),
    "S009": (
        (
            "process welcome\n"
            '  task greet = log.info(message: "Hello'
            ' {[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}")\n'
        ),
        (
            "example.mops:2:62: error[S009]: blocks or expressions are nested too deeply"
            " here for the process to run\n"
            '    2 |   task greet = log.info(message: "Hello'
            ' {[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}")\n'
            "      |                                                              ^\n"
            "  hint: use 'else if' rather than an 'if' inside an 'else', and split long"
            " expressions into smaller steps"
        ),
    ),
    "N001": (
        'process welcome\n  input name: text\n  task greet = log.info(message: "Hello {nmae}")\n',
        (
            "example.mops:3:42: error[N001]: 'nmae' is not defined\n"
            '    3 |   task greet = log.info(message: "Hello {nmae}")\n'
            "      |                                          ^^^^\n"
            "  hint: did you mean 'name'?"
        ),
    ),
    "N002": (
        "process welcome\n  input name: text\n  input name: email\n",
        (
            "example.mops:3:9: error[N002]: 'name' is already defined at line 2\n"
            "    3 |   input name: email\n"
            "      |         ^^^^\n"
            "  hint: give each input and step its own name"
        ),
    ),
    "N003": (
        'process welcome\n  task greet = log.inf(message: "Hello")\n',
        (
            "example.mops:2:16: error[N003]: no worker provides the action 'log.inf'\n"
            '    2 |   task greet = log.inf(message: "Hello")\n'
            "      |                ^^^^^^^\n"
            "  hint: did you mean 'log.info'?"
        ),
    ),
    "N004": (
        'process welcome\n  task greet = log.info(message: "Hello", level: "debug")\n',
        (
            "example.mops:2:43: error[N004]: 'log.info' takes no argument 'level'\n"
            '    2 |   task greet = log.info(message: "Hello", level: "debug")\n'
            "      |                                           ^^^^^\n"
            "  hint: it takes: message, fields"
        ),
    ),
    "N005": (
        'process welcome\n  task greet = log.info(fields: {campaign: "spring"})\n',
        (
            "example.mops:2:16: error[N005]: 'log.info' needs the argument 'message'\n"
            '    2 |   task greet = log.info(fields: {campaign: "spring"})\n'
            "      |                ^^^^^^^^\n"
            "  hint: add message: ..."
        ),
    ),
    "N006": (
        (
            "process welcome\n"
            '  task greet = log.info(message: "Hello")\n'
            "  output greeted_at = greet.loged_at\n"
        ),
        (
            "example.mops:3:29: error[N006]: the result of 'greet' (log.info) has no"
            " field 'loged_at'\n"
            "    3 |   output greeted_at = greet.loged_at\n"
            "      |                             ^^^^^^^^\n"
            "  hint: did you mean 'logged_at'?"
        ),
    ),
    "N007": (
        (
            "process promo\n"
            "  input budget: money\n"
            "  if budget > 0 EUR\n"
            '    task boost = log.info(message: "boosting")\n'
            "  output boosted_at = boost.logged_at\n"
        ),
        (
            "example.mops:5:23: error[N007]: 'boost' may not be defined here: not every"
            " path to this line runs the step that defines it (line 4)\n"
            "    5 |   output boosted_at = boost.logged_at\n"
            "      |                       ^^^^^\n"
            "  hint: use it inside the branch that defines it, or move that step out of"
            " the 'if'"
        ),
    ),
    "N008": (
        (
            "process welcome\n"
            "  input channels: list of text\n"
            "  output channel_count = lenght(channels)\n"
        ),
        (
            "example.mops:3:26: error[N008]: there is no function 'lenght'\n"
            "    3 |   output channel_count = lenght(channels)\n"
            "      |                          ^^^^^^\n"
            "  hint: did you mean 'len'?"
        ),
    ),
    "T001": (
        "process welcome\n  input name: txt\n",
        (
            "example.mops:2:15: error[T001]: unknown type 'txt'\n"
            "    2 |   input name: txt\n"
            "      |               ^^^\n"
            "  hint: did you mean 'text'?"
        ),
    ),
    "T002": (
        "process promo\n  input budget: money = 100\n",
        (
            "example.mops:2:25: error[T002]: the default of 'budget' should be money,"
            " but this is number\n"
            "    2 |   input budget: money = 100\n"
            "      |                         ^^^\n"
            "  hint: write an amount with its currency, e.g. 100 EUR"
        ),
    ),
    "T003": (
        (
            "process promo\n"
            "  input budget: money\n"
            "  if budget > 1000\n"
            '    task boost = log.info(message: "boosting")\n'
        ),
        (
            "example.mops:3:6: error[T003]: a money cannot be compared with a number\n"
            "    3 |   if budget > 1000\n"
            "      |      ^^^^^^^^^^^^^\n"
            "  hint: give the number its currency, e.g. 100 EUR"
        ),
    ),
    "T004": (
        (
            "process promo\n"
            "  input clicks: number\n"
            "  if clicks\n"
            '    task boost = log.info(message: "boosting")\n'
        ),
        (
            "example.mops:3:6: error[T004]: the condition is number, not true/false\n"
            "    3 |   if clicks\n"
            "      |      ^^^^^^\n"
            '  hint: compare it: for example budget > 0 EUR, or title != ""'
        ),
    ),
}
