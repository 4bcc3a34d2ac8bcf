"""Input as the rest of the product may assume it: form values without invisible control
characters, and ids in URLs that fit the database's integer.

PostgreSQL refuses a text containing NUL (a 500 on save), and the Word report cannot hold the
other C0 control characters (XML 1.0 forbids them; one such answer would stop the whole report
from building). Nobody types them; they come with text pasted from old documents or terminals.
They are removed from every submitted form value (and upload file name) before any view sees
it, rather than refused: the person could not see, let alone find, what to delete.
Tab, newline and carriage return stay.
"""
from __future__ import annotations

import re

from flask import Request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict
from werkzeug.routing import IntegerConverter, Map

# C0 controls except \t \n \r, and the two non-characters XML also forbids.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(value: str) -> str:
    return UNSTORABLE.sub("", value)


class CleanInputRequest(Request):
    def _load_form_data(self) -> None:
        super()._load_form_data()
        pairs = list(self.__dict__["form"].items(multi=True))
        if any(UNSTORABLE.search(k) or UNSTORABLE.search(v) for k, v in pairs):
            self.__dict__["form"] = ImmutableMultiDict([(clean(k), clean(v)) for k, v in pairs])
        for _, upload in self.__dict__["files"].items(multi=True):
            if isinstance(upload, FileStorage) and upload.filename:
                upload.filename = clean(upload.filename)


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in every route: an id beyond PostgreSQL's integer (2**31 - 1) matches no
    route (404) instead of failing the query with a 500."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = 2**31 - 1, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)
