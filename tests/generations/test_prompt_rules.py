"""Blocked terms hold against text that looks the same to a person; control characters are refused."""

import pytest

from core.errors import ApplicationError
from generations import services
from generations.models import PromptRule
from generations.prompts import matching_form

EVASIONS = [
    ("zero-width space", "a portrait of fa\u200bmous person"),
    ("zero-width joiner", "a portrait of fam\u200dous person"),
    ("zero-width non-joiner", "a portrait of famo\u200cus person"),
    ("soft hyphen", "a portrait of fa\u00admous person"),
    ("word joiner", "a portrait of fam\u2060ous person"),
    ("byte order mark", "a portrait of fa\ufeffmous person"),
    ("left-to-right mark", "a portrait of fam\u200eous person"),
    ("right-to-left override", "a portrait of fam\u202eous\u202c person"),
    ("bidi isolates", "a portrait of fam\u2066ous\u2069 person"),
    ("combining grapheme joiner", "a portrait of fa\u034fmous person"),
    ("variation selector", "a portrait of fa\ufe0fmous person"),
    ("combining accent", "a portrait of famo\u0301us person"),
    ("no-break space", "a portrait of famous\u00a0person"),
    ("ideographic space", "a portrait of famous\u3000person"),
    ("em space", "a portrait of famous\u2003person"),
    ("line break and tab", "a portrait of famous\n\tperson"),
    ("several spaces", "a portrait of famous    person"),
    ("capitals", "A PORTRAIT OF FAMOUS PERSON"),
    ("fullwidth letters", "a portrait of \uff46\uff41\uff4d\uff4f\uff55\uff53 person"),
    ("mathematical bold", "a portrait of \U0001d41f\U0001d41a\U0001d426\U0001d428\U0001d42e\U0001d42c person"),
    ("circled letters", "a portrait of \u24d5\u24d0\u24dc\u24de\u24e4\u24e2 person"),
    ("Cyrillic a", "a portrait of f\u0430mous person"),
    ("Cyrillic e and p", "a portrait of famous \u0440\u0435rson"),
    ("Greek omicron", "a portrait of fam\u03bfus person"),
    ("Cyrillic capitals", "A PORTRAIT OF F\u0410MOUS P\u0415RSON"),
    ("regex rule with a zero-width space", "no go\u200bre please"),
    ("regex rule with a Greek capital omicron", "no G\u039fRE please"),
    # Found from outside: small capitals, joiners and separators, digit look-alikes.
    ("Latin small capitals", "a portrait of Taylor Swift".replace("T", "\u1d1b").replace("o", "\u1d0f")),
    ("hyphen between words", "a portrait of Taylor-Swift"),
    ("underscore between words", "a portrait of taylor_swift"),
    ("no space between words", "a portrait of TaylorSwift"),
    ("dot between words", "a portrait of taylor.swift"),
    ("spaced letters", "a portrait of t a y l o r swift"),
    ("digits for letters", "a portrait of T4yl0r Sw1ft"),
    ("digits in a regex rule", "no g0re please"),
    # Found from outside (second round): separators, Latin variants the confusables data maps within Latin,
    # letters only their Unicode names tie to ASCII, and the words of a term in another order.
    ("a bar between words", "a portrait of Taylor|Swift"),
    ("dotless i", "a portrait of Taylor Sw\u0131ft"),
    ("script g in a regex rule", "no \u0261ore please"),
    ("open o", "a portrait of Tayl\u0254r Swift"),
    ("f with hook", "a portrait of Taylor Swi\u0192t"),
    ("Greek tau", "a portrait of Taylor Swif\u03c4"),
    ("surname first", "a portrait of Swift, Taylor"),
    ("surname first, no comma", "a portrait of swift taylor on stage"),
]

ALLOWED = [
    "a gorgeous sunset",
    "a tailor, swiftly sewing",
    "a swift bird over a lake; later that summer, Taylor County fair",  # the words, but far apart
    "the year 1980, a shop sign",
    "a famous lighthouse at dusk",
    "a person walking in the rain",
    "a café terrace, late afternoon",
    "\u043f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440: a greeting card",
    "two lines\nof a long prompt\twith a tab",
]

CONTROL = [("NEL (C1)", "a boat\u0085"), ("CSI (C1)", "a boat\u009b31m"), ("escape (C0)", "a \x1b[31mboat"),
           ("NUL", "a boat\x00"), ("DEL", "a boat\x7f")]  # fmt: skip


@pytest.fixture
def rules(cohort):
    PromptRule.objects.create(pattern="Famous Person", reason="names of real people (likeness)")
    PromptRule.objects.create(pattern="Taylor Swift", reason="names of real people (likeness)")
    PromptRule.objects.create(pattern=r"\bgore\b", is_regex=True, cohort=cohort, reason="graphic violence")


def submit(artist, cohort, prompt):
    return services.generation_submit(
        artist=artist, cohort=cohort, prompt=prompt, duration_s=1.125, resolution=64, aspect_ratio="1:1", fps=8
    )


@pytest.mark.parametrize(("evasion", "prompt"), EVASIONS, ids=[name for name, _ in EVASIONS])
def test_a_blocked_term_is_caught_however_it_is_disguised(artist, cohort, rules, evasion, prompt):
    with pytest.raises(ApplicationError) as refused:
        submit(artist, cohort, prompt)
    assert refused.value.code == "prompt_rejected", evasion


@pytest.mark.parametrize("prompt", ALLOWED)
def test_ordinary_prompts_pass(artist, cohort, rules, prompt):
    generation, created = submit(artist, cohort, prompt)
    assert created and generation.prompt == prompt.strip()  # stored as typed, not in the matching form


@pytest.mark.parametrize(("kind", "prompt"), CONTROL, ids=[name for name, _ in CONTROL])
def test_control_characters_are_refused(artist, cohort, kind, prompt):
    with pytest.raises(ApplicationError) as refused:
        submit(artist, cohort, prompt)
    assert refused.value.fields == {"prompt": "control characters"}, kind


def test_the_matching_form():
    assert matching_form("  F\u0430\u200bmous\u3000\u3000P\u0435rson ") == "famous person"
