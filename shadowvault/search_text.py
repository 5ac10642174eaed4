"""Names folded for search, the same way on SQLite and PostgreSQL, in every script.

SQLite's LIKE folds ASCII case only and PostgreSQL's ILIKE folds case but not accents, and a
JSON list of alternative titles is stored with its non-ASCII letters escaped on SQLite: a
search for "amelie" missed "Amélie", and "ボールト" missed a series that has it as an
alternative title. Instead, each title and series keeps its names folded in a `search_text`
column, and a query is folded the same way and looked for in it:
- case folded (casefold: "ß" is "ss", Greek final sigma is sigma);
- compatibility forms unified (NFKD: full-width Latin letters are Latin letters, half-width
  kana are kana);
- combining marks dropped (accents, Arabic and Hebrew vowel points), except the kana voicing
  marks, so that "ボ" stays "ボ" and does not become "ホ".
"""

from __future__ import annotations

import unicodedata

KANA_VOICING = {"\u3099", "\u309a"}  # dakuten and handakuten, combining forms
NAMES_APART = "\n"  # a query never matches across two names


def search_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if c in KANA_VOICING or not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept)


def search_text(*names: str) -> str:
    """What a search looks in: every name, folded, each once (it sits in an index)."""
    folded = dict.fromkeys(search_fold(name) for name in names)
    return NAMES_APART.join(name for name in folded if name)


class Searchable:
    """For a model with a `search_text` field: it is kept folded from `searched_names()`
    on every save (and saved with any of `SEARCHED_FIELDS`). Bulk writes must set it."""

    SEARCHED_FIELDS: tuple[str, ...] = ()

    def searched_names(self) -> list[str]:
        raise NotImplementedError

    def save(self, *args, **kwargs) -> None:
        self.search_text = search_text(*self.searched_names())
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(self.SEARCHED_FIELDS):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)
