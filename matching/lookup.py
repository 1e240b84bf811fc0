"""Exact look-ups typed into the search box: application numbers, publication numbers, IPC codes.

A Chinese application number is 8 (before 2003) or 12 digits plus a check
character, written ``201710601862.3``, ``CN201710601862.3``,
``ZL201710601862.3`` (a granted patent), with or without the dot or
spaces; a publication number is ``CN218751475U``. Every accepted spelling
of a document's numbers is reduced to the same keys (``number_keys``), and
a query that is one such number (``parse``) is answered by an exact
keyword match, not by text search. An IPC code (``H01M 10/0525``) or a
prefix of one (``H01M``, ``H01M 10``) selects the patents classified there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from matching.documents import PatentDoc
from matching.normalize import normalize

_APP = re.compile(r"^(?:zl|cn)?(\d{8}|\d{12})([0-9x])?$")
_PUB = re.compile(r"^(?:cn)?(\d{6,9})([a-z]\d?)?$")
_IPC = re.compile(r"^([a-h]\d{2}[a-z])(?:(\d{1,4})(?:/(\d{1,6}))?)?$")


def _squash(text: str) -> str:
    return re.sub(r"[\s.·．_-]+", "", normalize(text or ""))


def number_keys(doc: PatentDoc) -> list[str]:
    """Every key a typed application or publication number of ``doc`` may reduce to."""
    keys: dict[str, None] = {}
    m = _APP.match(_squash(doc.application_number))
    if m:
        keys.setdefault(m.group(1))
        if m.group(2):
            keys.setdefault(m.group(1) + m.group(2))
    elif doc.application_number:
        keys.setdefault(_squash(doc.application_number))
    for pub in doc.publication_numbers:
        p = _PUB.match(_squash(pub))
        if p:
            keys.setdefault(p.group(1))
            if p.group(2):
                keys.setdefault(p.group(1) + p.group(2))
    return list(keys)


@dataclass(frozen=True)
class Lookup:
    kind: str        # "number" | "ipc"
    key: str         # a number key, or an IPC index token (h01m, h01m10, h01m10d0525)


def parse(query: str) -> Lookup | None:
    """The exact look-up a query stands for, if it is nothing but a number or an IPC code."""
    squashed = _squash(query)
    if not squashed:
        return None
    if (m := _APP.match(squashed)) is not None:
        return Lookup("number", m.group(1) + (m.group(2) or ""))
    if (p := _PUB.match(squashed)) is not None and (p.group(2) or squashed.startswith("cn")):
        return Lookup("number", p.group(1) + (p.group(2) or ""))
    ipc = re.sub(r"\s+", "", normalize(query))
    if (c := _IPC.match(ipc)) is not None:
        sub, group, subgroup = c.groups()
        token = sub + (group or "") + (f"d{subgroup}" if subgroup else "")
        return Lookup("ipc", token)
    return None
