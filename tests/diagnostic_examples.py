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

DIRECTORIES: dict[str, str] = {
    "N012": '[roles]\neditor = "Reviews drafts"\n\n[people.ana]\nname = "Ana"\nemail = "ana@example.com"\nroles = ["editor"]\n',
    "R005": '[roles]\nent_emea = "Enterprise, EMEA"\nmid_market = "Mid-market"\n\n[people.eva]\nname = "Eva"\nemail = "eva@example.com"\nroles = ["ent_emea", "mid_market"]\n',
}
"""Team directories (team.toml) that an example is checked against."""

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
    "S010": (
        'process first\n  task a = log.info(message: "a")\n\nprocess second\n  task b = log.info(message: "b")\n',
        "example.mops:4:9: error[S010]: a second process 'second' in one file\n    4 | process second\n      |         ^^^^^^\n  hint: keep one process per file; call another file's process with 'use \"file.mops\"' and 'call'",
    ),
    "S011": (
        'process launch\n  task publish_the_spring_launch_article_to_the_cms_and_tell_every_editor = log.info(message: "go")\n',
        'example.mops:2:8: error[S011]: the name \'publish_the_spring_launch_article_to_the...\' is 66 characters long; names have at most 64\n    2 |   task publish_the_spring_launch_article_to_the_cms_and_tell_every_editor = log.info(message: "go")\n      |        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  hint: a short name in lower_case is what the other steps refer to; say more in the step\'s title ("...")',
    ),
    "N009": (
        'process launch\n  calendar berln\n  task a = log.info(message: "go")\n',
        "example.mops:2:12: error[N009]: there is no calendar 'berln'\n    2 |   calendar berln\n      |            ^^^^^\n  hint: define it with a 'calendar' block, or use a country code such as \"DE\"",
    ),
    "N010": (
        'process launch\n  task a = log.info(message: "go")\n  go back to drat, at most 2 times\n',
        "example.mops:3:14: error[N010]: go back to 'drat': there is no step of that name\n    3 |   go back to drat, at most 2 times\n      |              ^^^^\n  hint: steps are named by task, work, approval, decide and call",
    ),
    "N011": (
        'process launch\n  call nurture = lead_nurture(email: "a@b.com")\n',
        "example.mops:2:18: error[N011]: there is no process 'lead_nurture' to call\n    2 |   call nurture = lead_nurture(email: \"a@b.com\")\n      |                  ^^^^^^^^^^^^\n  hint: make it callable with 'use \"its_file.mops\"' at the top of this file",
    ),
    "N012": (
        'process launch\n  approval review "Review"\n    by role editr\n    deadline 2 business days\n    escalate to person ana\n',
        "example.mops:3:8: error[N012]: the team directory has no role 'editr'\n    3 |     by role editr\n      |        ^^^^^^^^^^\n  hint: did you mean 'editor'?",
    ),
    "T005": (
        'process launch\n  work draft "Draft"\n    assign role writer\n    on reject -> draft\n    deadline 2 days\n    escalate to role lead\n',
        "example.mops:4:5: error[T005]: 'on reject' is for an approval, not for a work item\n    4 |     on reject -> draft\n      |     ^^^^^^^^^^^^^^^^^^\n  hint: work items take: assign, deadline, remind, escalate, returns; approvals take: by, not by, deadline, remind, escalate, on reject, on changes, at most N rounds",
    ),
    "T006": (
        'process launch\n  approval review "Review"\n    deadline 2 business days\n    escalate to role lead\n',
        "example.mops:2:12: error[T006]: the approval 'review' says nobody who may act on it\n    2 |   approval review \"Review\"\n      |            ^^^^^^\n  hint: add a line: by role ... (or person ...)",
    ),
    "R001": (
        'process launch\n  input budget: number\n  decide tier\n    hit policy firts\n    when budget > 10 -> "paid"\n    otherwise -> "organic"\n',
        "example.mops:4:16: error[R001]: 'firts' is not a hit policy\n    4 |     hit policy firts\n      |                ^^^^^\n  hint: did you mean 'first'?",
    ),
    "R002": (
        'process launch\n  input budget: number\n  decide tier\n    otherwise -> "organic"\n    when budget > 10 -> "paid"\n',
        "example.mops:4:5: error[R002]: 'otherwise' must be the last row: rows after it can never match\n    4 |     otherwise -> \"organic\"\n      |     ^^^^^^^^^^^^^^^^^^^^^^",
    ),
    "R003": (
        (
            "process promote\n"
            "  input budget: money\n"
            "  decide tier\n"
            '    when budget >= 10000 EUR -> "paid"\n'
            '    when budget > 0 EUR -> "boosted"\n'
            "  output chosen = tier\n"
        ),
        (
            "example.mops:3:10: error[R003]: no row matches when budget is 0 EUR or less\n"
            "    3 |   decide tier\n"
            "      |          ^^^^\n"
            "  hint: add a row for it, or an 'otherwise' row"
        ),
    ),
    "R004": (
        (
            "process promote\n"
            "  input budget: money\n"
            "  decide route\n"
            "    hit policy unique\n"
            '    when budget >= 5000 EUR -> "agency"\n'
            '    when budget >= 1000 EUR -> "in_house"\n'
            '    otherwise -> "none"\n'
            "  output chosen = route\n"
        ),
        (
            "example.mops:6:10: error[R004]: this row and the row at line 5 both match when"
            " budget is 5000 EUR or more\n"
            '    6 |     when budget >= 1000 EUR -> "in_house"\n'
            "      |          ^^^^^^^^^^^^^^^^^^\n"
            "  hint: under 'hit policy unique' at most one row may match: narrow one of the"
            " conditions, or use 'hit policy first'"
        ),
    ),
    "R005": (
        (
            "process route\n"
            "  input employees: number\n"
            "  decide team\n"
            '    when employees >= 1000 -> "ent_emea"\n'
            '    otherwise -> "mid_markt"\n'
            "  approval accept\n"
            "    by role from team\n"
            "    deadline 4 business hours\n"
            "    escalate to person eva\n"
        ),
        (
            "example.mops:5:18: error[R005]: this row gives 'mid_markt', a role for 'role from'"
            " on line 7, but the team directory has no role 'mid_markt'\n"
            '    5 |     otherwise -> "mid_markt"\n'
            "      |                  ^^^^^^^^^^^\n"
            "  hint: did you mean 'mid_market'?"
        ),
    ),
    "R006": (
        (
            "process promote\n"
            "  input budget: money\n"
            "  decide route\n"
            "    hit policy priority\n"
            '    when budget >= 5000 EUR -> "agency" priority 1\n'
            '    when budget >= 1000 EUR -> "in_house" priority 1\n'
            '    otherwise -> "none"\n'
            "  output chosen = route\n"
        ),
        (
            "example.mops:6:10: error[R006]: this row and the row at line 5 both have priority 1"
            " and both match when budget is 5000 EUR or more\n"
            '    6 |     when budget >= 1000 EUR -> "in_house" priority 1\n'
            "      |          ^^^^^^^^^^^^^^^^^^\n"
            "  hint: give one of them a higher priority"
        ),
    ),
    "R101": (
        (
            "process promote\n"
            "  input budget: money\n"
            "  decide tier\n"
            '    when budget > 0 EUR -> "boosted"\n'
            '    when budget >= 10000 EUR -> "paid"\n'
            '    otherwise -> "organic"\n'
            "  output chosen = tier\n"
        ),
        (
            "example.mops:5:10: warning[R101]: this row never matches: the row at line 4 matches"
            " first whenever it would\n"
            '    5 |     when budget >= 10000 EUR -> "paid"\n'
            "      |          ^^^^^^^^^^^^^^^^^^^\n"
            "  hint: correct the condition, move the row up, or remove it"
        ),
    ),
    "R102": (
        (
            "process promote\n"
            "  input budget: money\n"
            "  input channels: list of text\n"
            "  decide reach\n"
            '    when len(channels) > 2 -> "wide"\n'
            '    when budget > 1000 EUR -> "paid"\n'
            "  output chosen = reach\n"
        ),
        (
            "example.mops:4:10: warning[R102]: 'reach' could not be checked for inputs that no"
            " row matches: the checker cannot follow the condition on line 5\n"
            "    4 |   decide reach\n"
            "      |          ^^^^^\n"
            "  hint: add an 'otherwise' row, or make the conditions compare inputs or decisions"
            " with values (or silence it: allow R102)"
        ),
    ),
    "G101": (
        'process launch\n  approval review "Review"\n    by role editor\n',
        "example.mops:2:12: warning[G101]: the approval 'review' has no deadline: it may wait forever\n    2 |   approval review \"Review\"\n      |            ^^^^^^\n  hint: add 'deadline 2 business days' (or silence it: allow G101)",
    ),
    "G102": (
        'process launch\n  approval review "Review"\n    by role editor\n    deadline 2 business days\n',
        "example.mops:4:14: warning[G102]: nobody is told when the approval 'review' misses its deadline\n    4 |     deadline 2 business days\n      |              ^^^^^^^^^^^^^^^\n  hint: add 'escalate to role ...' (or silence it: allow G102)",
    ),
    "G001": (
        (
            "process launch\n"
            '  task announce = log.info(message: "Launching")\n'
            '  fail "Launch cancelled"\n'
            '  task celebrate = log.info(message: "Launched")\n'
        ),
        (
            "example.mops:4:8: error[G001]: the step 'celebrate' can never run: no path from"
            " the start leads to it\n"
            '    4 |   task celebrate = log.info(message: "Launched")\n'
            "      |        ^^^^^^^^^\n"
            "  hint: the 'fail' on line 3 ends the process: nothing after it in its block runs"
        ),
    ),
    "G002": (
        (
            "process launch\n"
            "  parallel all\n"
            '    task publish = log.info(message: "Publishing the page")\n'
            '    branch print "Print run"\n'
            '      fail "The print shop is closed"\n'
        ),
        (
            "example.mops:2:3: error[G002]: this 'parallel' waits for all 2 branches, but only"
            " 1 can finish: 'print' always ends in 'fail'\n"
            "    2 |   parallel all\n"
            "      |   ^^^^^^^^\n"
            "  hint: let those branches reach their end, or wait for fewer of them"
            " ('parallel first', 'parallel 2 of')"
        ),
    ),
    "G003": (
        (
            "process launch\n"
            '  task draft = log.info(message: "Drafting")\n'
            "    on error -> post_anyway\n"
            "  parallel\n"
            "    branch web\n"
            '      task publish = log.info(message: "Publishing")\n'
            "    branch social\n"
            '      task post_anyway = log.info(message: "Posting")\n'
        ),
        (
            "example.mops:3:17: error[G003]: the jump to 'post_anyway' enters the parallel"
            " branch 'social' from outside it\n"
            "    3 |     on error -> post_anyway\n"
            "      |                 ^^^^^^^^^^^\n"
            "  hint: a branch starts only with its 'parallel': jump to a step outside the block"
        ),
    ),
    "G004": (
        (
            "process launch\n"
            "  input lead: email\n"
            '  task nudge = log.info(message: "Reminding {lead}")\n'
            '  wait for event "lead.replied" key lead, deadline 3 days -> nudge\n'
        ),
        (
            "example.mops:4:62: error[G004]: the loop back to 'nudge' has no bound: each time"
            " the deadline passes, the wait starts over\n"
            '    4 |   wait for event "lead.replied" key lead, deadline 3 days -> nudge\n'
            "      |                                                              ^^^^^\n"
            "  hint: on the deadline, jump to a later step, or put a human step with a deadline"
            " in the loop"
        ),
    ),
    "G005": (
        (
            "process launch\n"
            '  approval review "Review"\n'
            "    by role editor\n"
            "    deadline 2 business days\n"
            "    escalate to role marketing_lead\n"
            "    on reject -> rewrite\n"
            '  task rewrite = log.info(message: "Rewriting")\n'
        ),
        (
            "example.mops:6:18: error[G005]: 'on reject -> rewrite' must go back to an earlier"
            " step, but 'rewrite' comes after it\n"
            "    6 |     on reject -> rewrite\n"
            "      |                  ^^^^^^^\n"
            "  hint: move 'rewrite' above this step: rework repeats the steps before it"
        ),
    ),
    "G006": (
        (
            "process launch\n"
            "  input urgent: bool\n"
            "  if urgent\n"
            '    task post_now = log.info(message: "Posting now")\n'
            "  else\n"
            '    task schedule = log.info(message: "Scheduling")\n'
            "      on error -> post_now\n"
        ),
        (
            "example.mops:7:19: error[G006]: the jump to 'post_now' enters a branch of the 'if'"
            " on line 3 from outside it\n"
            "    7 |       on error -> post_now\n"
            "      |                   ^^^^^^^^\n"
            "  hint: only the 'if' chooses a branch: jump to a step of the jump's own block or of"
            " a block around it, such as a step before the 'if'"
        ),
    ),
    "G007": (
        (
            "process launch\n"
            "  parallel\n"
            "    branch web\n"
            '      task publish = log.info(message: "Publishing")\n'
            "        on error -> fix_page\n"
            "    branch social\n"
            '      task post = log.info(message: "Posting")\n'
            '  task fix_page = log.info(message: "Fixing the page")\n'
        ),
        (
            "example.mops:5:21: error[G007]: the jump to 'fix_page' leaves the parallel branch"
            " 'web'\n"
            "    5 |         on error -> fix_page\n"
            "      |                     ^^^^^^^^\n"
            "  hint: a branch ends only by finishing or failing: let the branch fail, or move"
            " 'fix_page' inside the branch; the innermost 'parallel' is at line 2"
        ),
    ),
    "G008": (
        (
            "process regional_signoff\n"
            '  input regions: list of text = ["emea", "apac"]\n'
            "  for each region in regions, 2 at a time\n"
            "    approval sign\n"
            "      by role editor\n"
            "      deadline 2 business days\n"
            "      escalate to role lead\n"
        ),
        (
            "example.mops:4:5: error[G008]: the approval 'sign' is inside a 'for each' that runs"
            " 2 items at once: the items would share it\n"
            "    4 |     approval sign\n"
            "      |     ^^^^^^^^^^^^^\n"
            "  hint: call a sub-process for each item (each opens its own steps), or drop"
            " '2 at a time' (line 3) to run the items one after another"
        ),
    ),
    "G103": (
        'process launch\n  input lead: email\n  wait for event "lead.replied" key lead\n',
        (
            'example.mops:3:3: warning[G103]: the wait for event "lead.replied" has no'
            " deadline: it may wait forever\n"
            '    3 |   wait for event "lead.replied" key lead\n'
            "      |   ^^^^\n"
            "  hint: add ', deadline 5 business days' to it (or silence it: allow G103)"
        ),
    ),
    "G104": (
        (
            "process follow_up\n"
            "  input lead: email\n"
            "  parallel first\n"
            "    branch drip\n"
            '      task touch = log.info(message: "A weekly touch")\n'
            "      wait 7 days\n"
            "      go back to touch, at most 52 times\n"
            "    branch reply\n"
            '      wait for event "lead.replied" key lead, deadline 365 days\n'
        ),
        (
            "example.mops:7:7: warning[G104]: this 'go back' may go round 52 times inside a"
            " parallel branch, where the campaign cannot continue as new: its history grows"
            " until the whole 'parallel' ends\n"
            "    7 |       go back to touch, at most 52 times\n"
            "      |       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: run the loop outside the 'parallel' (an 'exit when event' block can stop it"
            " when something else happens), or allow G104 if the branch is short-lived (the"
            " 'parallel' is at line 3)"
        ),
    ),
    "C001": (
        'calendar office\n  time zone "Europe/Berlin"\n  working days mon to fry\n\nprocess launch\n  calendar office\n  task a = log.info(message: "go")\n',
        "example.mops:3:23: error[C001]: 'fry' is not a day of the week\n    3 |   working days mon to fry\n      |                       ^^^\n  hint: did you mean 'friday'?",
    ),
    "C002": (
        'process launch\n  input start: date = 2026-02-30\n  task a = log.info(message: "go")\n',
        "example.mops:2:23: error[C002]: 2026-02-30 is not a date in the calendar\n    2 |   input start: date = 2026-02-30\n      |                       ^^^^^^^^^^\n  hint: write dates as YYYY-MM-DD, e.g. 2026-12-01",
    ),
    "C003": (
        'calendar office\n  time zone "Europe/Frankfurt"\n\nprocess launch\n  calendar office\n  task a = log.info(message: "go")\n',
        "example.mops:2:13: error[C003]: calendar 'office': unknown time zone 'Europe/Frankfurt'\n    2 |   time zone \"Europe/Frankfurt\"\n      |             ^^^^^^^^^^^^^^^^^^\n  hint: did you mean 'Europe/Berlin'? Frankfurt keeps the time of Europe/Berlin",
    ),
    "C004": (
        'process launch\n  task a = log.info(message: "go")\n    timeout 2 business days\n',
        "example.mops:3:13: error[C004]: a timeout is elapsed time; '2 business days' counts business time\n    3 |     timeout 2 business days\n      |             ^^^^^^^^^^^^^^^\n  hint: write it in seconds, minutes, hours or days",
    ),
}

FURTHER_EXAMPLES: list[tuple[str, str, str, str]] = [
    (
        "S002",
        "a misspelt keyword",
        'process launch\n  input title: text\n  aprove review "Review"\n    by role editor\n',
        "example.mops:3:3: error[S002]: unknown word 'aprove'\n    3 |   aprove review \"Review\"\n      |   ^^^^^^\n  hint: did you mean 'approval'?",
    ),
    (
        "S002",
        "a misspelt word inside a line",
        'process launch\n  approval review "Review"\n    by role editor\n    deadline 2 bussiness days\n    escalate to role lead\n',
        "example.mops:4:16: error[S002]: unknown word 'bussiness'\n    4 |     deadline 2 bussiness days\n      |                ^^^^^^^^^\n  hint: did you mean 'business'?",
    ),
    (
        "S002",
        "a word from another language",
        'process launch\n  input score: number\n  if score > 80\n    task hot = log.info(message: "hot")\n  elif score > 40\n    task warm = log.info(message: "warm")\n',
        "example.mops:5:3: error[S002]: unknown word 'elif'\n    5 |   elif score > 40\n      |   ^^^^\n  hint: did you mean 'else if'?",
    ),
    (
        "S002",
        "a 'go back' without its bound",
        'process launch\n  task draft = log.info(message: "drafting")\n  go back to draft\n',
        "example.mops:3:19: error[S002]: a 'go back' needs its bound: 'at most N times'\n    3 |   go back to draft\n      |                   ^\n  hint: write: go back to draft, at most 3 times",
    ),
    (
        "S002",
        "'=' where '==' compares",
        'process launch\n  input region: text\n  decide team\n    when region = "emea" -> "EMEA desk"\n    otherwise -> "global desk"\n',
        'example.mops:4:17: error[S002]: compare with \'==\', not \'=\'\n    4 |     when region = "emea" -> "EMEA desk"\n      |                 ^\n  hint: write: when region == "emea" -> "EMEA desk"',
    ),
    (
        "S002",
        "a rule row without its '->'",
        'process launch\n  input budget: money\n  decide tier\n    when budget >= 1000 EUR "paid"\n    otherwise -> "organic"\n',
        'example.mops:4:29: error[S002]: a \'->\' is missing before \'"paid"\'\n    4 |     when budget >= 1000 EUR "paid"\n      |                             ^^^^^^\n  hint: write: when budget >= 1000 EUR -> "paid"',
    ),
    (
        "S002",
        "an option not indented under its step",
        'process launch\n  approval review "Review"\n    by role editor\n  deadline 2 business days\n    escalate to role lead\n',
        "example.mops:4:3: error[S002]: this line must be indented under the approval on line 2\n    4 |   deadline 2 business days\n      |   ^^^^^^^^\n  hint: the lines that belong to a step go under it: indent this one by 4 spaces",
    ),
    (
        "S002",
        "a comma missing at the end of a line",
        'process launch\n  task greet = log.info(\n    message: "Hello"\n    fields: {campaign: "spring"},\n  )\n',
        "example.mops:3:21: error[S002]: a ',' is missing at the end of this line\n    3 |     message: \"Hello\"\n      |                     ^\n  hint: put a comma after each argument, list item or field that another follows",
    ),
    (
        "S007",
        "the same mistake on several lines",
        "process launch\n  task greet = log.info(message: 'Hello')\n  task thank = log.info(message: 'Thanks')\n  task bye = log.info(message: 'Bye')\n",
        "example.mops:2:34: error[S007]: a single quote (') has no meaning here\n    2 |   task greet = log.info(message: 'Hello')\n      |                                  ^\n  hint: texts are written in double quotes: \"like this\"; the same on lines 3 and 4",
    ),
    (
        "N004",
        "a misspelt argument is not also reported missing",
        'process launch\n  task greet = log.info(mesage: "Hello")\n',
        "example.mops:2:25: error[N004]: 'log.info' takes no argument 'mesage'\n    2 |   task greet = log.info(mesage: \"Hello\")\n      |                         ^^^^^^\n  hint: did you mean 'message'?",
    ),
    (
        "N009",
        "a country named by another code or its name",
        'process launch\n  calendar "UK"\n  task a = log.info(message: "go")\n',
        'example.mops:2:12: error[N009]: there is no calendar \'UK\'\n    2 |   calendar "UK"\n      |            ^^^^\n  hint: did you mean "GB"? it is the country code of United Kingdom',
    ),
    (
        "T002",
        "a text compared with a 'one of' that does not list it",
        'process launch\n  input region: one of "NA", "EMEA"\n  if region == "Na"\n    task a = log.info(message: "North America")\n',
        'example.mops:3:16: error[T002]: "Na" is not one of "NA", "EMEA"\n    3 |   if region == "Na"\n      |                ^^^^\n  hint: did you mean "NA"?',
    ),
    (
        "T003",
        "amounts in two currencies",
        'process launch\n  input budget: money = 0 EUR\n  if budget > 1000 USD\n    task a = log.info(message: "big")\n',
        "example.mops:3:6: error[T003]: an amount in USD cannot be compared with one in EUR\n    3 |   if budget > 1000 USD\n      |      ^^^^^^^^^^^^^^^^^\n  hint: write both in one currency: budget is in EUR, this amount is in USD",
    ),
    (
        "R003",
        "a gap in a table that reads an earlier decision",
        'process route\n  input region: one of "emea", "apac"\n  input employees: number\n  decide segment\n    when employees >= 2000 -> "enterprise"\n    otherwise -> "smb"\n  decide team\n    when region == "emea" -> "EMEA"\n    when region == "apac" and segment == "enterprise" -> "APAC enterprise"\n  output chosen = team\n',
        'example.mops:7:10: error[R003]: no row matches when segment is "smb" and region is "apac"\n    7 |   decide team\n      |          ^^^^\n  hint: add a row for it, or an \'otherwise\' row',
    ),
]
"""More mistakes per code, each as (code, what it shows, the process, what `mops check` prints):
the message points at the fix for each. docs/diagnostics.md shows them under their code."""


SCENARIO_PROCESS = (
    'process launch "Launch"\n'
    "  input title: text\n"
    "  input budget: money = 0 EUR\n"
    '  work draft "Write the draft"\n'
    "    assign role writer\n"
    "    deadline 2 business days\n"
    "    escalate to role lead\n"
    "    returns doc_url: url\n"
    '  approval review "Review"\n'
    "    by role editor\n"
    "    deadline 2 business days\n"
    "    escalate to role lead\n"
    "  task publish = http.post(url: draft.doc_url, json: {title: title})\n"
    "  output status = publish.status\n"
)
"""The process every scenario example (codes X...) is checked against (example.mops)."""

SCENARIO_TEAM = '[roles]\nwriter = "Writes"\neditor = "Edits"\nlead = "Leads"\n\n[people.ana]\nname = "Ana"\nemail = "ana@example.com"\nroles = ["writer"]\n\n[people.ben]\nname = "Ben"\nemail = "ben@example.com"\nroles = ["editor"]\n'
"""Its team directory (team.toml)."""

SCENARIO_EXAMPLES: dict[str, tuple[str, str]] = {
    "X001": (
        'scenario "Happy path"\n  input title "Spring"\n',
        'example.scenarios:2:15: error[X001]: the text "Spring" is not expected here\n    2 |   input title "Spring"\n      |               ^^^^^^^^\n  hint: expected \'=\' or the end of the line',
    ),
    "X002": (
        'scenario "Happy path"\n  input title = "Spring"\n  reveiw: approved by ben\n',
        "example.scenarios:3:3: error[X002]: 'launch' has no step 'reveiw'\n    3 |   reveiw: approved by ben\n      |   ^^^^^^\n  hint: did you mean 'review'?",
    ),
    "X003": (
        'scenario "Happy path"\n  input title = "Spring"\n  publish: approved by ben\n',
        "example.scenarios:3:12: error[X003]: 'publish' is an automated task: nobody answers it\n    3 |   publish: approved by ben\n      |            ^^^^^^^^^^^^^^^\n  hint: say what it does: publish: returns ... (or: fails \"why\")",
    ),
    "X004": (
        'scenario "Happy path"\n  input title = "Spring"\n  input budget = 2500\n',
        "example.scenarios:3:18: error[X004]: input 'budget' is money; the value given is a number\n    3 |   input budget = 2500\n      |                  ^^^^\n  hint: write money with its currency: 2500 EUR",
    ),
    "X005": (
        'scenario "Happy path"\n  input title = "Spring"\n  publish: returns page_id = "p-1"\n',
        "example.scenarios:3:20: error[X005]: 'http.post' returns no field 'page_id'\n    3 |   publish: returns page_id = \"p-1\"\n      |                    ^^^^^^^\n  hint: its fields: status, body, truncated, json",
    ),
    "X006": (
        'scenario "Happy path"\n  input title = "Spring"\n  review: approved by bne after 1 business day\n',
        "example.scenarios:3:23: error[X006]: the team directory has no person 'bne'\n    3 |   review: approved by bne after 1 business day\n      |                       ^^^\n  hint: did you mean 'ben'?",
    ),
    "X007": (
        'scenario "Happy path"\n  start 2027-02-30 09:00\n  input title = "Spring"\n',
        "example.scenarios:2:9: error[X007]: 2027-02-30 09:00 is not a moment in the calendar\n    2 |   start 2027-02-30 09:00\n      |         ^^^^^^^^^^^^^^^^\n  hint: write it as YYYY-MM-DD HH:MM, e.g. 2027-03-01 09:00",
    ),
    "X008": (
        'scenario "Happy path"\n  draft: completed by ana\n',
        "example.scenarios:1:10: error[X008]: the scenario gives no value for the required input 'title'\n    1 | scenario \"Happy path\"\n      |          ^^^^^^^^^^^^\n  hint: add a line: input title = ...",
    ),
    "X009": (
        'scenario "Happy path"\n  input title = "Spring"\n  event paid key "c-1" after 1 day\n',
        "example.scenarios:3:9: error[X009]: 'launch' never waits for the event 'paid'\n    3 |   event paid key \"c-1\" after 1 day\n      |         ^^^^\n  hint: it waits for no event",
    ),
}
"""One bad scenario file per X code and what ``mops test`` prints for it (example.scenarios)."""
