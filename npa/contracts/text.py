"""Text that cannot break anything later: the rules every input boundary applies (REST bodies,
queries, forms, bus messages), so an error names the field wherever the text came in.

- A **single-line** field (a title, a name, a city) holds no control character at all: a
  CR/LF in a title would end up in a mail's Subject header, a NUL is refused by PostgreSQL.
- A **multi-line** field (a description) may hold line breaks (normalised to `\\n`) and tabs,
  nothing else; mails render them as text (plain part) or escaped (HTML part).
- No text holds a lone surrogate (`\\ud800` is valid JSON but no Unicode text: it cannot be
  encoded as UTF-8 for a database, a mail or a log).
- Integers stay within 64 bits and numbers are finite, so a database never overflows.

`SingleLine` and `MultiLine` are the pydantic types for declared fields; `find_unsafe` walks
any decoded JSON document (the input guard of every service and the bus envelope use it).
"""

import math
import re
import unicodedata
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import AfterValidator

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls, DEL, and the Unicode line/paragraph separators (line breaks in disguise)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
# Either of the above in one search: almost every text has neither, and two searches per text
# were a fifth of validating a partner offer (six texts; ADR 9, 2026-11-30 evening).
_ANY_PROBLEM = re.compile("[\ud800-\udfff\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _name(char: str) -> str:
    return f"U+{ord(char):04X}" + (f" ({unicodedata.name(char)})" if unicodedata.name(char, "") else "")


def text_problem(value: str, *, multiline: bool) -> str | None:
    """Why `value` is not acceptable text, or None."""
    if _ANY_PROBLEM.search(value) is None:
        return None
    surrogate = _SURROGATE.search(value)
    if surrogate:
        return f"contains a lone surrogate {_name(surrogate.group())}: not valid Unicode text"
    control = (_CONTROL_BUT_BREAKS if multiline else _CONTROL).search(value)
    if control:
        where = "" if multiline else "; only multi-line texts may hold line breaks (and tabs)"
        return f"contains the control character {_name(control.group())}{where}"
    return None


def _single_line(value: str) -> str:
    problem = text_problem(value, multiline=False)
    if problem:
        raise ValueError(problem)
    return value


def _multi_line(value: str) -> str:
    problem = text_problem(value, multiline=True)
    if problem:
        raise ValueError(problem)
    return value.replace("\r\n", "\n").replace("\r", "\n")


SingleLine = Annotated[str, AfterValidator(_single_line)]
MultiLine = Annotated[str, AfterValidator(_multi_line)]


def find_unsafe(document: Any, path: tuple[str | int, ...] = ()) -> tuple[tuple[str | int, ...], str] | None:
    """The first place in a decoded JSON document that no field may hold, and why: a lone
    surrogate or a control character other than a line break or tab (in keys and values),
    an integer beyond 64 bits, a number that is not finite."""
    for where, value in _walk(document, path):
        if isinstance(value, str):
            problem = text_problem(value, multiline=True)
            if problem:
                return where, problem
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            return where, "integer out of range (64 bits)"
        elif isinstance(value, float) and not math.isfinite(value):
            return where, "number is not finite"
    return None


def _walk(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key), key
            yield from _walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))
    else:
        yield path, value
