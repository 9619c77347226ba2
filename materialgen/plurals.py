"""gettext Plural-Forms from CLDR's plural rules, and whether a catalog's header agrees.

Babel carries CLDR's rules; ``babel.plural.to_gettext`` turns them into a gettext expression
but counts every CLDR category, also those only fractions reach (Russian's "other": 1.5
books), and writes CLDR's exponent operand ``e`` (French "many": 1000000, 1e6) as a name
gettext does not know, which msgfmt refuses. gettext's ``n`` is a whole number, so here
the rule is compiled for whole numbers: the fraction operands (v, w, f, t) and the exponent
(e, c) are 0, and a category no whole number reaches is left out.

A catalog's header is accepted when its expression gives the same form as CLDR's for every
whole number tried, or the same as the older table of GNU gettext (the one Babel kept,
``babel.messages.plurals``) that the catalogs were first written with: a translator who
writes either is right. Headers are evaluated with the standard library's parser of gettext
plural expressions (``gettext.c2py``), which accepts only gettext's operators: a header is
data, never run as code.
"""

from __future__ import annotations

import gettext

import babel
from babel.plural import PluralRule, _fallback_tag, _plural_tags

#: The whole numbers on which two plural expressions must agree: every number up to 1100
#: (every rule of CLDR turns on n % 100, n % 10 or a small range) and the round large
#: numbers that CLDR's "many" of French, Spanish, Italian and Portuguese selects.
SAMPLES = (
    *range(0, 1101),
    *(k * 10**p for p in range(3, 10) for k in (1, 2, 5, 11, 21)),
    10**6 + 1,
    2 * 10**6 + 1,
)


#: CLDR's operands for a whole number written without an exponent: i is n, the fraction
#: operands (v, w, f, t) and the exponent (e, c) are 0.
_WHOLE_NUMBER = {"i": "n", "v": 0, "w": 0, "f": 0, "t": 0, "e": 0, "c": 0}


def _whole(node):
    """A CLDR rule's condition (Babel's tree) for whole numbers: the C text of what still
    depends on n, or True or False where the operands decide it alone."""
    op, args = node
    if op == "n" or _WHOLE_NUMBER.get(op) == "n":
        return "n"
    if op in _WHOLE_NUMBER:
        return _WHOLE_NUMBER[op]
    if op == "value":
        return args[0]
    if op == "mod":
        left, right = _whole(args[0]), _whole(args[1])
        return left % right if isinstance(left, int) else f"{left} % {right}"
    if op == "not":
        inner = _whole(args[0])
        return (not inner) if isinstance(inner, bool) else f"!({inner})"
    if op in ("and", "or"):
        left, right = _whole(args[0]), _whole(args[1])
        absorbing = op == "or"  # True absorbs an or, False an and
        if absorbing in (left, right):
            return absorbing
        parts = [part for part in (left, right) if not isinstance(part, bool)]
        if len(parts) == 1:
            return parts[0]
        return f"({parts[0]} {'||' if op == 'or' else '&&'} {parts[1]})"
    if op == "relation":
        _, operand, (_, ranges) = args
        value = _whole(operand)
        bounds = [(_whole(low), _whole(high)) for low, high in ranges]
        if isinstance(value, int):
            return any(low <= value <= high for low, high in bounds)
        tests = [
            f"{value} == {low}" if low == high else f"{value} >= {low} && {value} <= {high}"
            for low, high in bounds
        ]
        return tests[0] if len(tests) == 1 else "(" + " || ".join(tests) + ")"
    raise ValueError(f"unknown plural rule operator {op!r}")


def cldr_plural_forms(locale: babel.Locale) -> str:
    """``nplurals=N; plural=EXPR;`` for whole numbers, from the locale's CLDR rule."""
    rule = PluralRule.parse(locale.plural_form)
    reached = {rule(n) for n in SAMPLES}
    tags = [tag for tag in _plural_tags if tag in reached]
    if len(tags) == 1:
        return "nplurals=1; plural=0;"
    conditions = [(tag, _whole(ast)) for tag, ast in rule.abstract if tag in reached]
    conditions = [(tag, test) for tag, test in conditions if test is not False]
    # The last category stands for every number no earlier one takes: CLDR's "other" when
    # whole numbers reach it, else the last category that they do (Russian: "many").
    fallback = _fallback_tag if _fallback_tag in reached else conditions.pop()[0]
    tested = "".join(f"{test} ? {tags.index(tag)} : " for tag, test in conditions)
    return f"nplurals={len(tags)}; plural={tested}{tags.index(fallback)};"


def legacy_plural_forms(locale: babel.Locale | None, code: str) -> str | None:
    """The Plural-Forms of GNU gettext's older table, as Babel keeps it, or None."""
    from babel.messages.plurals import PLURALS

    for key in (str(locale) if locale else None, locale.language if locale else None, code):
        if key in PLURALS:
            count, expression = PLURALS[key]
            return f"nplurals={count}; plural={expression};"
    return None


def parse(plural_forms: str) -> tuple[int, object] | None:
    """(nplurals, function of n) of a Plural-Forms header, or None if it is not one."""
    fields = {}
    for part in plural_forms.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            fields[name.strip()] = value.strip()
    try:
        count = int(fields["nplurals"])
        if not 1 <= count <= 6:
            return None
        return count, gettext.c2py(fields["plural"])
    except (KeyError, ValueError, SyntaxError, RecursionError):
        return None


def same_forms(first: str, second: str) -> bool:
    """Whether two Plural-Forms headers choose the same form for every sample number."""
    a, b = parse(first), parse(second)
    if a is None or b is None or a[0] != b[0]:
        return False
    try:
        return all(a[1](n) == b[1](n) for n in SAMPLES)
    except (ArithmeticError, TypeError, ValueError):
        return False
