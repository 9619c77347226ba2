"""What a language's script and CLDR say about it: direction, joiners, plural forms; changing a
language's row; and the translator commands given codes that are unknown, malformed or have
no catalog."""

from __future__ import annotations

import gettext
import subprocess

import pytest
from conftest import ROOT, run_generate

import generate
from materialgen.catalogs import parse_catalog
from materialgen.languages import script_direction, script_uses_joiners
from materialgen.translate import load_table

CATALOGS = sorted(ROOT.glob("locales/*/LC_MESSAGES/messages.po"))


def add_language(project, *args: str) -> int:
    return generate.main(["add-language", *args, "--project", str(project)])


def table_text(project) -> str:
    return (project / "locales" / "languages.yaml").read_text(encoding="utf-8")


# --- direction and joiners, from Unicode's data through ICU ------------------------------


@pytest.mark.parametrize(
    ("script", "direction"),
    [
        ("Arab", "rtl"),
        ("Hebr", "rtl"),
        ("Thaa", "rtl"),
        ("Syrc", "rtl"),
        ("Nkoo", "rtl"),
        ("Adlm", "rtl"),
        ("Rohg", "rtl"),
        ("Latn", "ltr"),
        ("Ethi", "ltr"),
        ("Mymr", "ltr"),
        ("Hant", "ltr"),
    ],
)
def test_direction_follows_the_script(script, direction):
    assert script_direction(script) == direction


def test_joiners_belong_to_arabic_and_indic_scripts_only():
    assert all(map(script_uses_joiners, ["Arab", "Syrc", "Nkoo", "Deva", "Beng", "Taml"]))
    assert not any(map(script_uses_joiners, ["Latn", "Mymr", "Khmr", "Laoo", "Ethi", "Hebr"]))


def test_add_language_in_arabic_script_is_right_to_left_without_direction(project, capsys):
    code = add_language(
        project, "ckb", "--name", "Central Kurdish", "--autonym", "کوردی", "--script", "Arab",
        "--font", "Noto Naskh Arabic", "--font", "Noto Sans",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "script Arab, right to left" in out
    assert load_table(project)["ckb"].direction == "rtl"
    assert "direction" not in table_text(project).split("code: ckb")[1]
    catalog = project / "locales" / "ckb" / "LC_MESSAGES" / "messages.po"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(catalog)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_update_row_changes_only_the_fields_given(project, capsys):
    before = table_text(project)
    # Refused without --update-row, and nothing changes.
    assert add_language(project, "vi", "--direction", "rtl") == 1
    assert "add --update-row" in capsys.readouterr().err
    assert table_text(project) == before
    assert add_language(project, "vi", "--update-row", "--name", "Vietnamese (Viet Nam)") == 0
    out = capsys.readouterr().out
    assert "updated the row of 'vi'" in out
    after = table_text(project)
    changed = [
        (old, new)
        for old, new in zip(before.splitlines(), after.splitlines(), strict=True)
        if old != new
    ]
    assert changed == [("    name: Vietnamese", "    name: Vietnamese (Viet Nam)")]
    # The comment on the row's other line stays.
    assert "line_height: 1.4  # stacked diacritics" in after
    headers = parse_catalog(project / "locales/vi/LC_MESSAGES/messages.po").headers
    assert headers["Language-Team"] == "Vietnamese (Viet Nam)"


def test_update_row_refuses_a_bad_value_and_keeps_the_table(project, capsys):
    before = table_text(project)
    assert add_language(project, "ar", "--update-row", "--script", "Arabic") == 1
    err = capsys.readouterr().err
    assert "languages.yaml.tmp:" in err and "ISO 15924" in err
    assert table_text(project) == before
    assert not (project / "locales" / "languages.yaml.tmp").exists()


def test_a_left_to_right_row_fixed_with_update_row(project, capsys):
    """The issue's story (with Persian, now that Dari ships): a row written left to right
    is fixed with --update-row, not refused as "already exists"."""
    assert (
        add_language(
            project,
            "fa",
            "--name",
            "Persian",
            "--autonym",
            "فارسی",
            "--script",
            "Arab",
            "--font",
            "Noto Naskh Arabic",
            "--font",
            "Noto Sans",
            "--direction",
            "ltr",
        )  # fmt: skip
        == 0
    )
    assert load_table(project)["fa"].direction == "ltr"
    assert add_language(project, "fa", "--direction", "rtl") == 1  # no --update-row
    assert add_language(project, "fa", "--update-row", "--direction", "rtl") == 0
    assert load_table(project)["fa"].direction == "rtl"
    assert "already exists" not in capsys.readouterr().err


# --- ZWNJ / ZWJ and bidi controls in translations ------------------------------------------


def put_msgstr(project, lang: str, msgid: str, msgstr: str) -> int:
    """Set the translation of ``msgid``; the msgstr's line."""
    catalog = project / "locales" / lang / "LC_MESSAGES" / "messages.po"
    lines = catalog.read_text(encoding="utf-8").split("\n")
    index = lines.index(f'msgid "{msgid}"') + 1
    lines[index] = f'msgstr "{msgstr}"'
    catalog.write_text("\n".join(lines), encoding="utf-8")
    return index + 1


def test_zwnj_builds_in_arabic_script_and_bidi_controls_are_refused(project, capsys):
    line = put_msgstr(project, "ar", "Local help", "مساعدهٔ محلی می\u200cتوانید")
    code, out, err = run_generate(
        capsys, "--project", str(project), "--lang", "ar", "--material", "safety-card",
        "--no-previews",
    )  # fmt: skip
    assert code == 0, out + err
    assert generate.main(["check", "--lang", "ar", "--project", str(project)]) == 0
    capsys.readouterr()
    for control in ("\u202e", "\u202b", "\u2067", "\u2069", "\u200f", "\u061c"):
        line = put_msgstr(project, "ar", "Local help", f"مساعدة {control}محلية")
        assert generate.main(["check", "--lang", "ar", "--project", str(project)]) == 1
        out = capsys.readouterr().out
        expected = f"locales/ar/LC_MESSAGES/messages.po:{line}: invisible or control character "
        assert expected in out and f"U+{ord(control):04X}" in out


def test_dari_ships_with_zwnj_and_refuses_a_right_to_left_override(project, capsys):
    catalog = project / "locales" / "prs" / "LC_MESSAGES" / "messages.po"
    assert "\u200c" in catalog.read_text(encoding="utf-8")  # می‌توانید, as Dari spells it
    assert load_table(project)["prs"].direction == "rtl"
    line = put_msgstr(project, "prs", "Local help", "کمک \u202eمحلی")
    code, out, err = run_generate(
        capsys, "--project", str(project), "--lang", "prs", "--material", "wallet-card",
        "--no-previews",
    )  # fmt: skip
    assert code == 1
    assert (
        f"locales/prs/LC_MESSAGES/messages.po:{line}: invisible or control character U+202E" in out
    )
    assert not (project / "output" / "prs" / "wallet-card.pdf").exists()


def test_zwnj_still_refused_in_latin_script(project, capsys):
    line = put_msgstr(project, "so", "Local help", "Caawimaad\u200c deegaanka")
    assert generate.main(["check", "--lang", "so", "--project", str(project)]) == 1
    assert f"messages.po:{line}: invisible or control character U+200C" in capsys.readouterr().out


# --- Plural-Forms from CLDR -------------------------------------------------------------


def forms(plural_forms: str, numbers) -> tuple[int, list[int]]:
    fields = dict(part.strip().split("=", 1) for part in plural_forms.split(";") if "=" in part)
    rule = gettext.c2py(fields["plural"])
    return int(fields["nplurals"]), [rule(n) for n in numbers]


@pytest.mark.parametrize(
    ("code", "numbers", "expected"),
    [
        # CLDR's categories, whole numbers only: written out here from CLDR's charts.
        ("my", [0, 1, 2], (1, [0, 0, 0])),
        ("am", [0, 1, 2, 5], (2, [0, 0, 1, 1])),
        ("ps", [0, 1, 2], (2, [1, 0, 1])),
        ("fr", [0, 1, 2, 1000000], (3, [0, 0, 2, 1])),
        ("ru", [1, 2, 5, 11, 21, 22, 25], (3, [0, 1, 2, 2, 0, 1, 2])),
        ("ar", [0, 1, 2, 3, 11, 100, 102], (6, [0, 1, 2, 3, 4, 5, 5])),
    ],
)
def test_plural_forms_come_from_cldr(code, numbers, expected):
    language = load_table(ROOT).get(code)
    if language is None:  # ps before it ships: the rule is the same for a new row
        from materialgen.languages import Language

        language = Language(code=code, name="x", autonym="x", script="Arab", fonts=[])
    assert forms(language.gettext_plural_forms, numbers) == expected


@pytest.mark.parametrize("catalog", CATALOGS, ids=[path.parts[-3] for path in CATALOGS])
def test_every_shipped_catalog_has_cldrs_plural_forms(catalog):
    language = load_table(ROOT)[catalog.parts[-3]]
    header = parse_catalog(catalog).headers["Plural-Forms"]
    sample = range(0, 1200)
    assert forms(header, sample) == forms(language.gettext_plural_forms, sample)


def test_update_fixes_an_old_plural_forms_and_says_so(project, capsys):
    catalog = project / "locales" / "my" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(
        text.replace(
            "Plural-Forms: nplurals=1; plural=0;", "Plural-Forms: nplurals=2; plural=(n != 1);"
        ),
        encoding="utf-8",
    )
    # Two forms was Babel's default for a code its old table lacks: refused, then corrected.
    assert generate.main(["check", "--lang", "my", "--project", str(project)]) == 1
    assert "run: generate.py update" in capsys.readouterr().out
    assert generate.main(["update", "--lang", "my", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert (
        "Plural-Forms 'nplurals=2; plural=(n != 1);' replaced by 'nplurals=1; plural=0;' (CLDR)"
        in out
    )
    assert catalog.read_text(encoding="utf-8") == text


def test_gnu_gettexts_older_table_is_accepted_then_updated(project, capsys):
    catalog = project / "locales" / "ar" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    start = text.index('"Plural-Forms: ')
    end = text.index("\\n", start)
    gnu = (
        "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
        "n%100>=0 && n%100<=2 ? 4 : 5);"
    )
    catalog.write_text(text[:start] + f'"Plural-Forms: {gnu}' + text[end:], encoding="utf-8")
    assert generate.main(["check", "--lang", "ar", "--project", str(project)]) == 0
    assert generate.main(["update", "--lang", "ar", "--project", str(project)]) == 0
    assert "replaced by" in capsys.readouterr().out
    assert catalog.read_text(encoding="utf-8") == text


def test_a_header_written_another_way_is_accepted_and_kept(project, capsys):
    catalog = project / "locales" / "am" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    start = text.index('"Plural-Forms: ')
    end = text.index("\\n", start)
    catalog.write_text(text[:start] + '"Plural-Forms: nplurals=2; plural=(n > 1);' + text[end:])
    assert generate.main(["check", "--lang", "am", "--project", str(project)]) == 0
    assert generate.main(["update", "--lang", "am", "--project", str(project)]) == 0
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in catalog.read_text(encoding="utf-8")
    # A wrong rule is refused with its line.
    catalog.write_text(text[:start] + '"Plural-Forms: nplurals=2; plural=(n != 1);' + text[end:])
    assert generate.main(["check", "--lang", "am", "--project", str(project)]) == 1
    line = text[:start].count("\n") + 1
    assert f"messages.po:{line}: header 'Plural-Forms" in capsys.readouterr().out


# --- no traceback for a bad language code ------------------------------------------------

BAD_CODES = ["xx", "../etc", "", "EN", "zh_Hant", "a" * 200, "so;rm"]


def commands_with(code: str) -> list[list[str]]:
    return [
        ["status", "--lang", code],
        ["check", "--lang", code],
        ["update", "--lang", code],
        ["review", code, "--by", "Tester <t@example.org>"],
        ["add-language", code],
        ["add-language", code, "--update-row", "--direction", "rtl"],
        ["watch", "--lang", code, "--rebuilds", "1", "--interval", "0"],
        ["--lang", code, "--no-previews"],
    ]


@pytest.mark.parametrize("code", BAD_CODES)
def test_every_command_refuses_a_bad_code_without_traceback(project, capsys, code):
    before = table_text(project)
    for command in commands_with(code):
        status = generate.main([*command, "--project", str(project)])
        captured = capsys.readouterr()
        assert status == 1, (command, captured)
        assert captured.err.startswith(f"error: {project}/locales/languages.yaml: "), (
            command,
            captured.err,
        )
        assert "Traceback" not in captured.err + captured.out
    assert table_text(project) == before


def test_commands_needing_a_catalog_refuse_english_and_a_language_without_one(project, capsys):
    (project / "locales" / "fr" / "LC_MESSAGES" / "messages.po").unlink()
    for code, message in (
        ("en", "'en' is the source language: it has no catalog"),
        ("fr", "no catalog yet: create it with: generate.py add-language fr"),
    ):
        for command in (
            ["check", "--lang", code],
            ["update", "--lang", code],
            ["review", code, "--by", "T"],
        ):
            status = generate.main([*command, "--project", str(project)])
            captured = capsys.readouterr()
            assert status == 1, (command, captured)
            assert message in captured.err and "Traceback" not in captured.err


@pytest.mark.parametrize(
    "command", [["review", "--by", "T"], ["status", "--lang"], ["watch"], ["add-language"]]
)
def test_a_missing_code_is_a_usage_error(project, capsys, command):
    with pytest.raises(SystemExit) as exit_:
        generate.main([*command, "--project", str(project)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "usage: generate.py" in err and "Traceback" not in err
