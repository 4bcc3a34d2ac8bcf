"""Flask-WTF forms per area.

WTForms writes ``maxlength`` on every field with a Length validator. A browser then cuts what
is typed or pasted beyond it without a word (a 400-character name silently became 300). The
server's Length check refuses an over-long value with a message at the field and shows it
back whole instead, so no widget writes ``maxlength``.
"""
from wtforms import widgets as _widgets

for _widget in vars(_widgets).values():
    if isinstance(_widget, type) and "maxlength" in getattr(_widget, "validation_attrs", ()):
        _widget.validation_attrs = [a for a in _widget.validation_attrs if a != "maxlength"]
