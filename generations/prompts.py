"""Prompt text: what counts as a control character, and the form blocked terms are matched in.

A blocked term must not be defeated by text that looks the same to a person: a zero-width space
inside a word, a soft hyphen, a bidi control, a Cyrillic a (U+0430) for a Latin one, fullwidth letters,
combining marks, or an odd kind of space. Both the prompt and the rule are brought to one form
(matching_form) and compared there, with look-alike digits folded (skeleton), punctuation read as a
letter or as a space (prompt_forms) and, for terms of several words, separators removed and the words
taken in any order (contains_term); the prompt itself is stored as the artist typed it.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from confusable_homoglyphs import confusables

# C0 and C1 controls and DEL. Tab, line feed and carriage return are ordinary text in a long prompt.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# Default-ignorable code points outside the format category (Cf, removed wholesale below): the
# combining grapheme joiner, Hangul fillers, Mongolian and other variation selectors.
_IGNORABLE_RANGES = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xE0100, 0xE01EF),
)  # fmt: skip


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def _ignorable(char: str) -> bool:
    if unicodedata.category(char) == "Cf":  # zero-width spaces and joiners, soft hyphen, bidi controls, tags
        return True
    code = ord(char)
    return any(low <= code <= high for low, high in _IGNORABLE_RANGES)


_SMALL_CAPITAL = re.compile(r"LATIN LETTER (?:SMALL CAPITAL|SMALL CAPITAL TURNED|MODIFIER LETTER SMALL) ([A-Z])")
# A Latin letter's own variants, by their Unicode names: LATIN SMALL LETTER DOTLESS I, SCRIPT G, OPEN O,
# F WITH HOOK. The name says which letter a reader takes it for, where the confusables data is silent.
_LATIN_VARIANT = re.compile(
    r"LATIN (?:SMALL|CAPITAL) LETTER (?:(?:DOTLESS|SCRIPT|OPEN|CLOSED|BARRED|LONG|TURNED|REVERSED) )?([A-Z])"
    r"(?: WITH .+)?"
)
_CONFUSABLES = confusables.confusables_data  # Unicode's confusables, as the library ships them


def _ascii_letter(char: str) -> str | None:
    """The ASCII letter ``char`` is, without its marks, or by its Unicode name; None if neither says."""
    bare = "".join(each for each in unicodedata.normalize("NFKD", char) if not unicodedata.combining(each))
    if bare.isascii() and bare.isalnum():
        return bare.lower()
    name = unicodedata.name(char, "") if len(char) == 1 else ""
    match = _SMALL_CAPITAL.fullmatch(name) or _LATIN_VARIANT.fullmatch(name)
    return match.group(1).lower() if match else None


@functools.lru_cache(maxsize=4096)
def _latin_lookalike(char: str) -> str:
    """The ASCII letter(s) ``char`` is confusable with, or ``char`` itself. Unicode's confusables data is
    asked first, whatever script both sides are in (U+0131, dotless i, is Latin and reads as i), then the
    character's own name (U+0254, LATIN SMALL LETTER OPEN O), then one of its look-alikes' (Greek tau,
    through U+1D1B, LATIN LETTER SMALL CAPITAL T)."""
    homoglyphs = [homoglyph["c"] for homoglyph in _CONFUSABLES.get(char, ())]
    for homoglyph in homoglyphs:
        if homoglyph.isascii():
            return homoglyph
    for homoglyph in [char, *homoglyphs]:
        letter = _ascii_letter(homoglyph)
        if letter is not None:
            return letter
    return char


# One skeleton character per class of ASCII look-alikes (after UTS #39: digit one, capital I and small l
# are one shape), applied to both sides of a comparison, so "T4yl0r Sw1ft" meets "taylor swift".
_SKELETON = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "!": "l", "3": "e", "4": "a", "@": "a",
                           "5": "s", "$": "s", "7": "t", "8": "b", "9": "g"})  # fmt: skip
_NOT_LETTER_OR_DIGIT = re.compile(r"[^a-z0-9]+")


def matching_form(text: str) -> str:
    """``text`` as blocked terms are matched: compatibility-normalised (NFKC), without ignorable and
    format characters or combining marks, look-alike letters mapped to Latin, case-folded, and every
    run of whitespace of any kind collapsed to one space."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(char for char in text if not _ignorable(char))
    text = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    text = "".join(char if char.isascii() else _latin_lookalike(char) for char in text)
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.split())


def skeleton(text: str) -> str:
    """``text`` in matching_form with look-alike digits and symbols folded to one letter each."""
    return matching_form(text).translate(_SKELETON)


def separated_skeleton(text: str) -> str:
    """``text`` in matching_form with every punctuation mark and symbol read as a space ("Taylor|Swift",
    "Swift, Taylor"), then look-alike digits folded: the other reading of a "|" or a "!"."""
    return " ".join(_NOT_LETTER_OR_DIGIT.sub(" ", matching_form(text)).split()).translate(_SKELETON)


def prompt_forms(prompt: str) -> tuple[str, str]:
    """The two readings of a prompt that blocked terms are looked for in (made once for all the rules)."""
    return skeleton(prompt), separated_skeleton(prompt)


# A term's words may stand in any order ("Swift, Taylor"), a few words apart at most.
ANY_ORDER_SLACK = 2


def contains_term(forms: tuple[str, ...], term: str) -> bool:
    """Whether a prompt (given as its prompt_forms) holds the blocked ``term``. A term of several words
    also matches with everything between letters removed, so "Taylor-Swift", "taylor_swift",
    "TaylorSwift" and "t a y l o r swift" meet "Taylor Swift", and with its words in any order within a
    few words of each other. (One-word terms are not compacted: "gore" is in "go re".)"""
    wanted, words = skeleton(term), separated_skeleton(term).split()
    for text in forms:
        if wanted in text:
            return True
        if len(words) < 2:
            continue
        if _NOT_LETTER_OR_DIGIT.sub("", wanted) in _NOT_LETTER_OR_DIGIT.sub("", text):
            return True
        if _words_near(text.split(), words):
            return True
    return False


def _words_near(text_words: list[str], words: list[str]) -> bool:
    span = len(words) + ANY_ORDER_SLACK
    positions = [i for i, word in enumerate(text_words) if word in words]
    return any(set(words) <= {text_words[j] for j in positions if i <= j < i + span} for i in positions)
