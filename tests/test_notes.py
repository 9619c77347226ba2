"""Translator notes that give a length never ask for less than the English itself."""

from __future__ import annotations

import re

from conftest import ROOT

from materialgen.catalogs import read_template


def test_no_note_asks_for_fewer_characters_than_the_english():
    for message in read_template(ROOT):
        note = " ".join(message.auto_comments)
        for number in re.findall(r"(?i)about (\d+) characters", note):
            assert int(number) >= len(message.id), (message.id, note)
