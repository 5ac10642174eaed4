"""Text that may go into an XML document: what sources send can hold anything."""

from __future__ import annotations

import re

# Characters XML 1.0 does not allow anywhere (C0 controls but tab and newlines, surrogates,
# U+FFFE/U+FFFF): one of them in a title would make a whole feed unreadable.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return NOT_XML.sub("", text)
