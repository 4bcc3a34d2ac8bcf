"""A readable word diff between two versions of an answer."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

TOKEN = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    kind: str  # "same" | "added" | "removed"
    text: str


def word_diff(old: str, new: str) -> list[Segment]:
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(Segment("same", "".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            segments.append(Segment("removed", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            segments.append(Segment("added", "".join(b[j1:j2])))
    return segments
