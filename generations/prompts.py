"""Prompt text: what counts as a control character, and the form blocked terms are matched in.

A blocked term must not be defeated by text that looks the same to a person: a zero-width space
inside a word, a soft hyphen, a bidi control, a Cyrillic a (U+0430) for a Latin one, fullwidth letters,
combining marks, or an odd kind of space. Both the prompt and the rule are brought to one form
(matching_form) and compared there, with look-alike digits folded (skeleton) and, for terms of several
words, separators removed (contains_term); the prompt itself is stored as the artist typed it.
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


@functools.lru_cache(maxsize=4096)
def _latin_lookalike(char: str) -> str:
    """The ASCII letter(s) ``char`` is confusable with (Unicode's confusables data, then the Latin small
    capitals that data leaves out, such as U+1D1B ᴛ), or ``char`` itself."""
    found = confusables.is_confusable(char, preferred_aliases=["latin"], greedy=True)
    for homoglyph in found[0]["homoglyphs"] if found else ():
        if homoglyph["c"].isascii():
            return homoglyph["c"]
    small_capital = _SMALL_CAPITAL.fullmatch(unicodedata.name(char, ""))
    return small_capital.group(1).lower() if small_capital else char


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


def contains_term(prompt_skeleton: str, term: str) -> bool:
    """Whether a prompt (given as its skeleton, made once for all the rules) holds the blocked ``term``;
    a term of several words also with everything between letters removed, so "Taylor-Swift",
    "taylor_swift", "TaylorSwift" and "t a y l o r swift" meet "Taylor Swift". (One-word terms are not
    compacted: "gore" is in "go re".)"""
    wanted, text = skeleton(term), prompt_skeleton
    if wanted in text:
        return True
    if " " not in wanted:
        return False
    return _NOT_LETTER_OR_DIGIT.sub("", wanted) in _NOT_LETTER_OR_DIGIT.sub("", text)
