"""Names in the WebDAV tree: nothing that climbs or splits a path, unique in a folder."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dav.multistatus import segment_quote
from dav.names import NAME_MAX_BYTES, name_clean, name_scrub, names_unique


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("AC/DC: Live at River Plate", "AC-DC - Live at River Plate"),
        ("Back\\slash", "Back-slash"),
        ("..", "Untitled"),
        (".", "Untitled"),
        ("  .hidden.  ", "hidden"),
        ('What? <Why> | "How" *', "What Why How"),
        ("Tab\tand\nnewline\x00", "Tab and newline"),
        ("Mission: Impossible", "Mission - Impossible"),
        ("", "Untitled"),
    ],
)
def test_a_name_cannot_climb_split_or_hide(text: str, name: str) -> None:
    assert name_clean(text) == name


def test_names_are_nfc_and_fit_a_path_component() -> None:
    decomposed = unicodedata.normalize("NFD", "Amélie (2001).mkv")
    long = "Ж" * 300 + ".mkv"

    assert name_clean(decomposed) == "Amélie (2001).mkv"
    assert len(name_clean(long).encode()) <= NAME_MAX_BYTES
    assert name_clean(long).endswith("Ж.mkv")


def test_later_namesakes_get_their_tag_whatever_the_case() -> None:
    files = names_unique(
        [("Film.mkv", "aaa", 1), ("film.MKV", "bbb", 2), ("Other.mkv", "ccc", 3)], is_file=True
    )
    folders = names_unique([("Dune (2021)", "s1", 1), ("DUNE (2021)", "s2", 2)], is_file=False)
    subtitles = names_unique([("Film.en.srt", "x", 1)], is_file=True, taken=["film.en.srt"])

    assert list(files) == [("Film.mkv", 1), ("film [bbb].MKV", 2), ("Other.mkv", 3)]
    assert list(folders) == [("Dune (2021)", 1), ("DUNE (2021) [s2]", 2)]
    assert list(subtitles) == [("Film.en [x].srt", 1)]


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_clean_names_are_what_scrubbing_gives_and_stay_as_they_are(text: str) -> None:
    assert name_clean(text) == name_scrub(text, fallback="Untitled")
    assert name_clean(name_clean(text)) == name_clean(text)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_hrefs_are_percent_encoded_as_quote_would(text: str) -> None:
    assert segment_quote(text) == quote(text, safe="!$'()*+,;=@")
