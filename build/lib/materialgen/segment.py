"""Line-break opportunities for scripts written without spaces between words.

Pango breaks Khmer, Lao, Myanmar (Burmese, Karen) text only at spaces and punctuation, so a
sentence in those scripts stays one unbreakable line and runs out of its box without any
warning. At render time (never in catalogs: translation tools strip or flag U+200B) we insert
ZERO WIDTH SPACE at the word boundaries of ICU's dictionary-based break iterator.
"""

from __future__ import annotations

import functools
import unicodedata

ZWSP = "\u200b"


@functools.cache
def _word_breaker(locale: str):
    import icu

    return icu.BreakIterator.createWordInstance(icu.Locale(locale))


def _utf16_offsets(text: str) -> list[int]:
    """Map each UTF-16 offset (what ICU returns) to a Python string index."""
    offsets = []
    for index, char in enumerate(text):
        offsets.extend([index] * (2 if ord(char) > 0xFFFF else 1))
    offsets.append(len(text))
    return offsets


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM"


def insert_breaks(text: str, locale: str) -> str:
    """``text`` with U+200B at each ICU word boundary that falls between two letters.

    Boundaries next to spaces, digits or punctuation already allow (or must not allow) a break,
    so they are left alone; so are Latin words inside the text, which ICU splits per word anyway.
    """
    if not text:
        return text
    breaker = _word_breaker(locale)
    breaker.setText(text)
    offsets = _utf16_offsets(text)
    pieces, start = [], 0
    for boundary in breaker:
        index = offsets[boundary]
        if 0 < index < len(text):
            before, after = text[index - 1], text[index]
            if (
                _is_word_char(before)
                and _is_word_char(after)
                and not (before.isascii() and after.isascii())
            ):
                pieces.append(text[start:index])
                start = index
    pieces.append(text[start:])
    return ZWSP.join(pieces)
