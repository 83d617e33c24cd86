"""Closure message rules, as tables: placeholders, rendering, personal touch, send times."""

import itertools
import random
import re
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from recruitcare.domain.messages import (
    PLACEHOLDERS,
    Placeholder,
    Rendered,
    TemplateError,
    Text,
    clean_header,
    closure_send_after,
    http_url,
    is_personalized,
    near_duplicates,
    parse,
    placeholders_in,
    render_html,
    render_subject,
    render_text,
    resolve_zone,
    same_day,
    template_errors,
)

EXPECTED_PLACEHOLDERS = {
    "candidate_first_name",
    "candidate_name",
    "requisition_title",
    "stage",
    "feedback",
    "feedback_link",
    "recruiter_name",
    "recruiter_email",
    "company_name",
    "decision_date",
    "reason",
}

# --- The placeholder language ---------------------------------------------------------------


def test_every_placeholder_has_help_text():
    assert set(PLACEHOLDERS) == EXPECTED_PLACEHOLDERS
    assert all(text.strip() for text in PLACEHOLDERS.values())


@pytest.mark.parametrize(
    ("template", "parts"),
    [
        ("", []),
        ("Plain text.", [Text("Plain text.")]),
        (
            "Hi {candidate_first_name}!",
            [Text("Hi "), Placeholder("candidate_first_name"), Text("!")],
        ),
        ("{stage}{reason}", [Placeholder("stage"), Placeholder("reason")]),
        ("Use {{ and }}.", [Text("Use { and }.")]),
        ("{{{stage}}}", [Text("{"), Placeholder("stage"), Text("}")]),
        ("{{stage}}", [Text("{stage}")]),
        ("a\n{stage}\nb", [Text("a\n"), Placeholder("stage"), Text("\nb")]),
    ],
)
def test_parse(template, parts):
    assert parse(template) == parts


@pytest.mark.parametrize(
    "template",
    ["{", "}", "{stage", "stage}", "{}", "{x.y}", "{x[0]}", "{x!r}", "{x:>10}", "{ stage }", "{0}"],
)
def test_parse_refuses_bad_syntax(template):
    with pytest.raises(TemplateError) as caught:
        parse(template)
    assert caught.value.errors
    assert isinstance(caught.value, ValueError)


def test_placeholders_in_ignores_literal_braces_and_tolerates_mistakes():
    template = "{candidate_first_name} {{reason}} {stage} {stage} {oops"
    assert placeholders_in(template) == {"candidate_first_name", "stage"}


VALID = (
    "Dear {candidate_first_name},\n\nThank you for your time on {requisition_title} at "
    "{company_name}.\n\n{feedback}\n\n{feedback_link}\n\n{recruiter_name} ({recruiter_email})"
)


@pytest.mark.parametrize(
    "template",
    [
        VALID,
        "",
        "No placeholders at all.",
        "Literal braces: {{ and }} and {{{stage}}}.",
        " ".join("{" + name + "}" for name in EXPECTED_PLACEHOLDERS),
    ],
)
def test_valid_templates_have_no_errors(template):
    assert template_errors(template) == []


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "Hi {candidat_first_name}",
            ["{candidat_first_name}", "did you mean {candidate_first_name}"],
        ),
        ("{Candidate_Name}", ["{Candidate_Name}", "did you mean {candidate_name}"]),
        ("{feedbak_link}", ["did you mean {feedback_link}"]),
        ("{requisition}", ["did you mean {requisition_title}"]),
        ("{decision_day}", ["did you mean {decision_date}"]),
        ("{salary}", ["Unknown placeholder {salary}", "known placeholders are", "{stage}"]),
        ("{", ["never closed"]),
        ("Hi {stage", ["never closed"]),
        ("{a {stage}", ["never closed"]),
        ("}", ["no opening brace"]),
        ("Hi\nthere }", ["Line 2", "no opening brace"]),
        ("{}", ["empty braces"]),
        ("{  }", ["empty braces"]),
        ("{candidate_name.upper}", ["{candidate_name.upper}", "not allowed"]),
        ("{candidate_name[0]}", ["not allowed"]),
        ("{candidate_name!r}", ["not allowed"]),
        ("{decision_date:%Y}", ["not allowed"]),
        ("{ stage }", ["spaces", "write {stage}"]),
        ("{first name}", ["not a placeholder name"]),
        ("{% if stage %}", ["not a placeholder name"]),
        ("{{candidate_first_name}}", ["write {candidate_first_name} to insert"]),
        ("{{ stage }}", ["write {stage} to insert"]),
    ],
)
def test_template_errors_are_readable(template, expected):
    errors = template_errors(template)
    assert errors
    joined = " ".join(errors)
    for fragment in expected:
        assert fragment in joined


def test_unknown_placeholder_is_reported_once_and_in_order():
    errors = template_errors("{sallary} {x.y} {sallary} {stag}")
    assert len(errors) == 3
    assert "not allowed" in errors[0]
    assert "{sallary}" in errors[1]
    assert "did you mean {stage}" in errors[2]


def test_subject_templates_must_be_one_line():
    assert template_errors("Your application\nat {company_name}", single_line=True)
    assert template_errors("Your application\nat {company_name}") == []
    assert template_errors("Your application at {company_name}", single_line=True) == []


# --- Text rendering ------------------------------------------------------------------------

VALUES = {
    "candidate_first_name": "Mira",
    "candidate_name": "Mira Quell",
    "requisition_title": "Data Engineer",
    "company_name": "Example Works",
    "feedback": "What went well:\n- SQL (strong): clear joins\n\nA next step:\nPractise design.",
    "feedback_link": "https://careers.example.com/feedback/abc123",
    "recruiter_name": "Rae Tolland",
    "recruiter_email": "rae@example.com",
    "decision_date": "12 March 2026",
}


@pytest.mark.parametrize(
    ("template", "values", "text", "missing"),
    [
        ("Hi {candidate_first_name}!", VALUES, "Hi Mira!", ()),
        (
            "{{candidate_first_name}} is {candidate_first_name}",
            VALUES,
            "{candidate_first_name} is Mira",
            (),
        ),
        ("Braces {{}} stay", {}, "Braces {} stay", ()),
        ("Decided {decision_date}.", {}, "Decided [missing: decision_date].", ("decision_date",)),
        (
            "Decided {decision_date}.",
            {"decision_date": None},
            "Decided [missing: decision_date].",
            ("decision_date",),
        ),
        (
            "Decided {decision_date}.",
            {"decision_date": "  "},
            "Decided [missing: decision_date].",
            ("decision_date",),
        ),
        (
            "{stage} {reason} {stage}",
            {},
            "[missing: stage] [missing: reason] [missing: stage]",
            ("reason", "stage"),
        ),
        (
            "Hi {candidate_first_name}, {reason}",
            {"candidate_first_name": "Mira"},
            "Hi Mira, [missing: reason]",
            ("reason",),
        ),
        ("{feedback}", {"feedback": "a\nb"}, "a\nb", ()),
        ("{feedback}", {"feedback": "{stage} <b>"}, "{stage} <b>", ()),  # values are never re-read
    ],
)
def test_render_text(template, values, text, missing):
    rendered = render_text(template, values)
    assert rendered == Rendered(text, missing)
    assert rendered.complete is (not missing)


def test_render_refuses_broken_templates():
    with pytest.raises(TemplateError):
        render_text("Hi {candidate_first_name", VALUES)
    with pytest.raises(TemplateError):
        render_html("Hi {x.y}", VALUES)


def test_retired_placeholder_renders_as_missing_not_blank():
    assert render_text("Hi {nickname}", VALUES) == Rendered("Hi [missing: nickname]", ("nickname",))


# --- HTML rendering ------------------------------------------------------------------------


def test_html_paragraphs_and_line_breaks():
    template = "Hi {candidate_first_name},\n\n\nThank you.\nKind regards,\n{recruiter_name}\n"
    assert render_html(template, VALUES).text == (
        "<p>Hi Mira,</p>\n<p>Thank you.<br>\nKind regards,<br>\nRae Tolland</p>"
    )


def test_html_keeps_multiline_feedback_and_links_the_feedback_link():
    html = render_html("Your feedback:\n{feedback}\n\nRead it online: {feedback_link}", VALUES).text
    assert html == (
        "<p>Your feedback:<br>\nWhat went well:<br>\n- SQL (strong): clear joins<br>\n<br>\n"
        "A next step:<br>\nPractise design.</p>\n"
        '<p>Read it online: <a href="https://careers.example.com/feedback/abc123">'
        "https://careers.example.com/feedback/abc123</a></p>"
    )


def test_html_windows_newlines():
    assert render_html("a\r\n\r\nb\r\nc", {}).text == "<p>a</p>\n<p>b<br>\nc</p>"


def test_html_escapes_literal_template_text():
    html = render_html("<b>Hi</b> & {{welcome}} <script>x</script>", {}).text
    assert html == "<p>&lt;b&gt;Hi&lt;/b&gt; &amp; {welcome} &lt;script&gt;x&lt;/script&gt;</p>"


def test_html_marks_missing_values():
    rendered = render_html("Hi {candidate_first_name}", {})
    assert rendered.text == "<p>Hi <mark>[missing: candidate_first_name]</mark></p>"
    assert rendered.missing == ("candidate_first_name",)


PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '<a href="javascript:alert(1)">click</a>',
    "<svg onload=alert(1)>",
    "' onmouseover='alert(1)",
    "</p><iframe src=//evil.example>",
    "&lt;script&gt;",
]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize(
    "name", ["candidate_first_name", "feedback", "reason", "requisition_title", "feedback_link"]
)
def test_no_value_creates_markup(payload, name):
    html = render_html("Hi {" + name + "}\n\nsee {" + name + "}", {name: payload}).text
    assert "<script" not in html
    assert "<img" not in html
    assert "<svg" not in html
    assert "<iframe" not in html
    assert "<a" not in html
    assert "</p><" not in html
    assert html.count("<p>") == 2
    # Every tag left is one the renderer itself writes.
    tags = set(re.findall(r"<[^>]*>", html))
    assert tags <= {"<p>", "</p>", "<br>"}


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "javascript://example.com/%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/path",
        "https://example.com/a b",
        "https://",
        "http://[::1",
        "feedback is at https://example.com",
    ],
)
def test_unsafe_or_partial_links_are_text_not_links(link):
    html = render_html("{feedback_link}", {"feedback_link": link}).text
    assert "<a" not in html
    assert "href" not in html
    assert http_url(link) is None


@pytest.mark.parametrize(
    ("value", "href"),
    [
        ("https://example.com/f/1", "https://example.com/f/1"),
        ("HTTP://Example.com/x?a=1&b=2", "HTTP://Example.com/x?a=1&amp;b=2"),
        (
            'https://example.com/?q="onmouseover=alert(1)',
            "https://example.com/?q=&quot;onmouseover=alert(1)",
        ),
        ("https://example.com/<script>", "https://example.com/&lt;script&gt;"),
        ("  https://example.com/trimmed  ", "https://example.com/trimmed"),
    ],
)
def test_http_links_are_escaped_inside_the_attribute(value, href):
    html = render_html("{feedback_link}", {"feedback_link": value}).text
    assert html == f'<p><a href="{href}">{href}</a></p>'


def test_any_url_value_becomes_a_link_but_template_text_does_not():
    html = render_html(
        "See https://example.com/x or {company_name}", {"company_name": "https://example.com/"}
    ).text
    link = '<a href="https://example.com/">https://example.com/</a>'
    assert html == f"<p>See https://example.com/x or {link}</p>"


# --- Headers and subjects ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("Hello\r\nBcc: all@example.com", "carriage return (CR)"),
        ("Hello\nBcc: all@example.com", "line feed (LF)"),
        ("Hello\rthere", "carriage return (CR)"),
        ("Hello\0there", "NUL"),
        ("Hello\u2028there", "line separator"),
        ("Hello\x85there", "next-line"),
        ("Hello\vthere", "vertical tab"),
    ],
)
def test_clean_header_refuses_line_breaks_and_nul(value, words):
    with pytest.raises(ValueError, match="single line") as caught:
        clean_header(value)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        ("Your application", "Your application"),
        ("  Your application\t", "Your application"),
        ("Ünïcode — fine", "Ünïcode — fine"),
        ("", ""),
    ],
)
def test_clean_header_accepts_one_line(value, clean):
    assert clean_header(value) == clean


def test_subject_uses_text_rendering_and_refuses_injected_lines():
    subject = render_subject("Your {requisition_title} application & {stage}", VALUES)
    assert subject == Rendered("Your Data Engineer application & [missing: stage]", ("stage",))
    with pytest.raises(ValueError, match="line feed"):
        render_subject("About {requisition_title}", {"requisition_title": "X\nBcc: a@example.com"})


# --- Personal touch ------------------------------------------------------------------------

TEMPLATE_RENDER = (
    "Dear Mira,\n\nThank you for interviewing with us for the Data Engineer role. "
    "After careful consideration we have decided not to move forward with your application. "
    "We wish you the very best in your search.\n\nKind regards,\nRae Tolland"
)
FEEDBACK = (
    "What went well:\n- SQL (strong): you wrote clear, well-structured joins under time pressure\n"
    "- Communication (solid): you explained trade-offs in the pipeline design calmly\n\n"
    "Where to grow:\n- Testing (developing): the solution had no checks for late-arriving data\n\n"
    "A next step:\nBuild a small pipeline that handles late data and write tests for it."
)


@pytest.mark.parametrize(
    ("body", "feedback", "expected"),
    [
        # The plain rendering alone is generic.
        (TEMPLATE_RENDER, FEEDBACK, False),
        (TEMPLATE_RENDER, None, False),
        # The feedback is in the body, whatever its line breaks and case.
        (TEMPLATE_RENDER + "\n\n" + FEEDBACK, FEEDBACK, True),
        (TEMPLATE_RENDER + "\n\n" + " ".join(FEEDBACK.upper().split()), FEEDBACK, True),
        # Most of it (the strengths and growth area, not the next step) is enough.
        (TEMPLATE_RENDER + "\n\n" + FEEDBACK.split("A next step")[0], FEEDBACK, True),
        # One short line of a long feedback is not.
        (TEMPLATE_RENDER + "\nClear joins, well done.", FEEDBACK, False),
        # Feedback too short to tell is not evidence on its own.
        (TEMPLATE_RENDER + "\nGood luck", "Good luck", False),
        # A sentence the recruiter wrote for this candidate counts.
        (
            TEMPLATE_RENDER.replace(
                "Kind regards",
                "Your approach to the late-data question stood out to the panel.\n\nKind",
            ),
            None,
            True,
        ),
        (TEMPLATE_RENDER + "\nI hope the streaming course you mentioned goes well", None, True),
        # Short additions and light touch-ups of template sentences do not.
        (TEMPLATE_RENDER + "\nThanks again!", None, False),
        (TEMPLATE_RENDER.replace("the very best", "all the very best"), None, False),
        (
            TEMPLATE_RENDER.replace("careful consideration", "very careful consideration"),
            None,
            False,
        ),
        # Reflowing or re-casing the template is not personal.
        (" ".join(TEMPLATE_RENDER.upper().split()), None, False),
        ("", FEEDBACK, False),
    ],
)
def test_is_personalized(body, feedback, expected):
    assert is_personalized(body, template_render=TEMPLATE_RENDER, feedback=feedback) is expected


@pytest.mark.parametrize(
    ("included", "expected"),
    [
        (FEEDBACK, True),
        (FEEDBACK.split("A next step")[0], True),  # strengths and growth, without the next step
        (FEEDBACK.split("Where to grow")[0], False),  # the strengths alone are under half
        ("", False),
    ],
)
def test_feedback_in_the_unedited_rendering_counts_when_most_of_it_is_there(included, expected):
    # With {feedback} in the template, the unedited rendering carries the candidate's feedback.
    render = TEMPLATE_RENDER + "\n\n" + included
    assert is_personalized(render, template_render=render, feedback=FEEDBACK) is expected


# --- Near-duplicates -----------------------------------------------------------------------

BASE = (
    "Dear {name}, thank you for your interviews for the Data Engineer role. Your SQL was strong "
    "and your explanation of the pipeline design was clear. We would like to see more testing "
    "of late-arriving data. Kind regards, Rae"
)


def _body(name: str, text: str = BASE) -> str:
    return text.replace("{name}", name)


@pytest.mark.parametrize(
    ("bodies", "names", "expected"),
    [
        # Identical apart from the name, in case and whitespace too.
        (
            {1: _body("Mira"), 2: _body("Tobin"), 3: "  " + _body("JUNO").upper()},
            {1: ["Mira Quell"], 2: ["Tobin", "Vale"], 3: ["Juno Sato"]},
            {1, 2, 3},
        ),
        # Full name in the body, removed word by word.
        (
            {1: _body("Mira Quell"), 2: _body("Tobin Vale")},
            {1: ["Mira Quell"], 2: ["Tobin Vale"]},
            {1, 2},
        ),
        # One word changed in a long message is still a near-duplicate.
        (
            {1: _body("Mira"), 2: _body("Tobin").replace("strong", "excellent")},
            {1: ["Mira"], 2: ["Tobin"]},
            {1, 2},
        ),
        # A different personal part is not.
        (
            {
                1: _body("Mira"),
                2: _body("Tobin", BASE.split("Your SQL")[0])
                + "Your Python was fluent and your data modelling was careful and complete. We "
                "would like to see more depth in distributed systems. Kind regards, Rae",
            },
            {1: ["Mira"], 2: ["Tobin"]},
            set(),
        ),
        # Someone else's name left in the body is a difference, not noise.
        (
            {1: "Dear Mira, thanks.", 2: "Dear Tobin, thanks."},
            {1: ["Mira"], 2: ["Juno"]},
            set(),
        ),
        # Names may be given as a single string.
        ({1: "Hi Mira, thanks.", 2: "Hi Tobin, thanks."}, {1: "Mira", 2: "Tobin"}, {1, 2}),
        # Missing names mean nothing is removed.
        ({1: "Hi Mira, thanks.", 2: "Hi Tobin, thanks."}, {}, set()),
        ({}, {}, set()),
        ({"only": BASE}, {}, set()),
        # Empty bodies are identical to one another.
        ({1: "", 2: "  \n"}, {}, {1, 2}),
    ],
)
def test_near_duplicates(bodies, names, expected):
    assert near_duplicates(bodies, names) == expected


def test_near_duplicate_threshold():
    bodies = {1: _body("Mira"), 2: _body("Tobin").replace("SQL was strong", "Python was fluent")}
    names = {1: ["Mira"], 2: ["Tobin"]}
    assert near_duplicates(bodies, names, threshold=0.85) == {1, 2}
    assert near_duplicates(bodies, names, threshold=0.99) == set()
    with pytest.raises(ValueError):
        near_duplicates(bodies, names, threshold=0)


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = ["^", *text.casefold().replace(",", " ").replace(".", " ").split(), "$"]
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def _pairwise_reference(bodies: dict[int, str], threshold: float) -> set[int]:
    """The slow, obvious answer: every pair compared by the Dice of its three-word shingles."""
    sets = {key: _shingles(body) for key, body in bodies.items()}
    flagged: set[int] = set()
    for a, b in itertools.combinations(bodies, 2):
        shared = len(sets[a] & sets[b])
        if 2 * shared >= threshold * (len(sets[a]) + len(sets[b])):
            flagged |= {a, b}
    return flagged


@pytest.mark.parametrize("threshold", [0.6, 0.8, 0.9, 0.95, 1.0])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_near_duplicates_miss_nothing_pairwise_comparison_finds(seed, threshold):
    # Few distinct words, so many messages share wording and the filter is put to work.
    rng = random.Random(seed)
    words = ["data", "design", "tests", "clear", "calm", "joins", "late"]
    template = [rng.choice(words) for _ in range(rng.randrange(5, 25))]
    bodies: dict[int, str] = {}
    for key in range(150):
        kind = rng.random()
        if kind < 0.3:
            text = [rng.choice(words) for _ in range(rng.randrange(0, 12))]
        elif kind < 0.7:
            text = template + [rng.choice(words) for _ in range(rng.randrange(0, 6))]
        else:
            text = list(template)
            for _ in range(rng.randrange(0, 3)):
                text[rng.randrange(len(text))] = rng.choice(words)
        bodies[key] = " ".join(text)
    assert near_duplicates(bodies, {}, threshold) == _pairwise_reference(bodies, threshold)


VOCABULARY = [
    "clear",
    "careful",
    "thorough",
    "structured",
    "calm",
    "curious",
    "precise",
    "practical",
    "creative",
    "steady",
    "sql",
    "python",
    "testing",
    "design",
    "modelling",
    "pipelines",
    "queries",
    "schemas",
    "caching",
    "logging",
    "metrics",
    "explained",
    "described",
    "showed",
    "handled",
    "asked",
    "answered",
    "built",
    "reviewed",
    "debugged",
    "measured",
    "late",
    "data",
    "streaming",
    "batch",
    "joins",
    "indexes",
    "retries",
    "errors",
    "failures",
    "alerts",
    "dashboards",
    "teamwork",
    "ownership",
    "trade-offs",
    "priorities",
    "deadlines",
    "stakeholders",
    "users",
    "customers",
    "costs",
]
FIRST = [
    "Mira",
    "Tobin",
    "Juno",
    "Ines",
    "Arlo",
    "Sefa",
    "Koa",
    "Lior",
    "Nell",
    "Oren",
    "Pia",
    "Quin",
    "Runa",
    "Savo",
    "Teo",
    "Uma",
]
LAST = [
    "Quell",
    "Vale",
    "Sato",
    "Okoro",
    "Brand",
    "Lintu",
    "Marr",
    "Novak",
    "Orsi",
    "Pell",
    "Rook",
    "Senn",
    "Tarv",
    "Usk",
    "Voss",
]


def test_ten_thousand_messages():
    rng = random.Random(20260312)
    bodies: dict[int, str] = {}
    names: dict[int, list[str]] = {}
    for key in range(10_000):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        feedback = " ".join(rng.choice(VOCABULARY) for _ in range(25))
        names[key] = [f"{first} {last}"]
        bodies[key] = (
            f"Dear {first},\n\nThank you for interviewing for the Data Engineer role at Example "
            f"Works. After careful consideration we will not move forward. Here is what the "
            f"panel shared with us:\n\n{feedback}\n\nWe wish you the very best, {first} {last}."
            f"\n\nKind regards,\nRae"
        )
    expected: set[int] = set()
    # Copies of another candidate's message with only the name changed.
    for source, copy in [(5, 9_000), (77, 9_001), (1_234, 9_002), (4_321, 9_003)]:
        own, theirs = names[copy][0].split(), names[source][0].split()
        bodies[copy] = bodies[source].replace(theirs[1], own[1]).replace(theirs[0], own[0])
        expected |= {source, copy}
    # A copy with one word of the feedback changed, and an exact copy of that.
    bodies[9_500] = bodies[42].replace("Dear", "Hello")
    bodies[9_501] = bodies[9_500]
    names[9_501] = names[9_500] = names[42]
    expected |= {42, 9_500, 9_501}
    assert near_duplicates(bodies, names) == expected


# --- When to send --------------------------------------------------------------------------

NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"
TOKYO = "Asia/Tokyo"
LOS_ANGELES = "America/Los_Angeles"
KIRITIMATI = "Pacific/Kiritimati"  # UTC+14
THANKSGIVING = date(2026, 11, 26)
BERLIN_HOLIDAYS = (date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "zone", "holidays", "expected"),
    [
        # Weekday afternoon: the next morning. Berlin is UTC+1 in November.
        (utc(2026, 11, 18, 14, 0), BERLIN, (), utc(2026, 11, 19, 8, 0)),
        # Early on a business morning still waits a night.
        (utc(2026, 11, 18, 0, 30), BERLIN, (), utc(2026, 11, 19, 8, 0)),
        (utc(2026, 11, 18, 7, 59), BERLIN, (), utc(2026, 11, 19, 8, 0)),
        # Friday, Saturday and Sunday all wait for Monday.
        (utc(2026, 11, 20, 15, 0), BERLIN, (), utc(2026, 11, 23, 8, 0)),
        (utc(2026, 11, 21, 10, 0), BERLIN, (), utc(2026, 11, 23, 8, 0)),
        (utc(2026, 11, 22, 10, 0), BERLIN, (), utc(2026, 11, 23, 8, 0)),
        # Holidays are skipped, several in a row too.
        (utc(2026, 11, 25, 18, 0), NEW_YORK, (THANKSGIVING,), utc(2026, 11, 27, 14, 0)),
        (utc(2026, 12, 24, 10, 0), BERLIN, BERLIN_HOLIDAYS, utc(2026, 12, 28, 8, 0)),
        (utc(2026, 12, 31, 10, 0), BERLIN, BERLIN_HOLIDAYS, utc(2027, 1, 4, 8, 0)),
        # Spring forward: Berlin moves to UTC+2 on Sunday 29 March 2026.
        (utc(2026, 3, 27, 12, 0), BERLIN, (), utc(2026, 3, 30, 7, 0)),
        # New York moves to UTC-4 on Sunday 8 March 2026.
        (utc(2026, 3, 6, 20, 0), NEW_YORK, (), utc(2026, 3, 9, 13, 0)),
        # Fall back: Berlin returns to UTC+1 on Sunday 25 October 2026.
        (utc(2026, 10, 23, 12, 0), BERLIN, (), utc(2026, 10, 26, 8, 0)),
        # East of UTC: Sunday 20:00 UTC is already Monday 05:00 in Tokyo, so Tuesday 09:00.
        (utc(2026, 11, 22, 20, 0), TOKYO, (), utc(2026, 11, 24, 0, 0)),
        (utc(2026, 11, 22, 20, 0), KIRITIMATI, (), utc(2026, 11, 23, 19, 0)),
        # West of UTC: Monday 05:00 UTC is still Sunday evening in Los Angeles, so Monday 09:00.
        (utc(2026, 11, 23, 5, 0), LOS_ANGELES, (), utc(2026, 11, 23, 17, 0)),
        # A Friday evening in Los Angeles is Saturday in UTC; the local Friday decides.
        (utc(2026, 11, 21, 3, 0), LOS_ANGELES, (), utc(2026, 11, 23, 17, 0)),
        # Unknown or empty zones fall back to UTC.
        (utc(2026, 11, 18, 14, 0), "Mars/Olympus_Mons", (), utc(2026, 11, 19, 9, 0)),
        (utc(2026, 11, 18, 14, 0), "", (), utc(2026, 11, 19, 9, 0)),
        (utc(2026, 11, 18, 14, 0), None, (), utc(2026, 11, 19, 9, 0)),
        (utc(2026, 11, 18, 14, 0), "../../etc/passwd", (), utc(2026, 11, 19, 9, 0)),
        (utc(2026, 11, 18, 14, 0), "America", (), utc(2026, 11, 19, 9, 0)),
    ],
)
def test_closure_send_after(now, zone, holidays, expected):
    send_at = closure_send_after(now, candidate_zone=zone, holidays=holidays)
    assert send_at == expected
    assert send_at.utcoffset() == timedelta(0)
    assert send_at > now


def test_send_hour_is_local_and_configurable():
    send_at = closure_send_after(
        utc(2026, 11, 18, 14, 0), candidate_zone=NEW_YORK, holidays=(), hour=10
    )
    assert send_at.astimezone(ZoneInfo(NEW_YORK)) == datetime(
        2026, 11, 19, 10, 0, tzinfo=ZoneInfo(NEW_YORK)
    )


def test_now_in_another_zone_is_converted_first():
    now = datetime(2026, 11, 20, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # Sat 04:30 UTC
    assert closure_send_after(now, candidate_zone=BERLIN, holidays=()) == utc(2026, 11, 23, 8, 0)


def test_no_cool_off_sends_now():
    now = datetime(2026, 11, 21, 3, 0, tzinfo=ZoneInfo(LOS_ANGELES))
    send_at = closure_send_after(now, candidate_zone=LOS_ANGELES, holidays=(), cool_off="none")
    assert send_at == now
    assert send_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cool_off": "an_hour"}, "cool-off"),
        ({"hour": 24}, "hour"),
        ({"hour": -1}, "hour"),
    ],
)
def test_closure_send_after_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        closure_send_after(utc(2026, 11, 18, 14, 0), candidate_zone=BERLIN, holidays=(), **kwargs)


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware"):
        closure_send_after(datetime(2026, 11, 18, 14, 0), candidate_zone=BERLIN, holidays=())


@pytest.mark.parametrize(
    ("a", "b", "zone", "expected"),
    [
        (utc(2026, 11, 18, 1, 0), utc(2026, 11, 18, 22, 0), "UTC", True),
        # 22:00 UTC is already the next day in Tokyo.
        (utc(2026, 11, 18, 1, 0), utc(2026, 11, 18, 22, 0), TOKYO, False),
        (utc(2026, 11, 18, 16, 0), utc(2026, 11, 19, 1, 0), TOKYO, True),
        # 02:00 UTC is still the previous evening in Los Angeles.
        (utc(2026, 11, 18, 2, 0), utc(2026, 11, 17, 20, 0), LOS_ANGELES, True),
        (utc(2026, 11, 18, 2, 0), utc(2026, 11, 18, 20, 0), LOS_ANGELES, False),
        # Across the autumn change in Berlin (25 October 2026 has 25 hours).
        (utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 22, 59), BERLIN, True),
        (utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0), BERLIN, False),
        # Zone objects work as well as names; unknown names mean UTC.
        (utc(2026, 11, 18, 1, 0), utc(2026, 11, 18, 22, 0), ZoneInfo(TOKYO), False),
        (utc(2026, 11, 18, 1, 0), utc(2026, 11, 18, 22, 0), "Nowhere/Atlantis", True),
    ],
)
def test_same_day(a, b, zone, expected):
    assert same_day(a, b, zone) is expected
    assert same_day(b, a, zone) is expected


def test_same_day_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        same_day(datetime(2026, 11, 18), utc(2026, 11, 18), "UTC")


@pytest.mark.parametrize(
    ("name", "key"),
    [(BERLIN, BERLIN), ("Not/AZone", "UTC"), ("", "UTC"), (None, "UTC"), ("/etc/passwd", "UTC")],
)
def test_resolve_zone(name, key):
    assert resolve_zone(name).key == key
