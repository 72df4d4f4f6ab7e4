"""What a piece of work is called when it is listed (issue 23: "the work they may review (title or
file name, …)"): read from its bytes, so every client that fetched them says the same."""

from __future__ import annotations

import pytest

from starfish_dao.ipfs.content import TITLE_CHARS, title_of


@pytest.mark.parametrize(
    ("data", "title"),
    [
        (b"a shelf plan for the library corner\nwith two shelves\n", "a shelf plan for the library corner"),
        (b"\n\n   # Floor plan, version 2\nrooms: 4\n", "Floor plan, version 2"),  # a Markdown heading
        (b"%PDF-1.7\n" + b"x" * 5000, "a 4 KiB PDF"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "a 108 bytes PNG image"),
        (bytes(range(256)) * 8, "a 2 KiB file"),  # not text
        (b"", "an empty file"),
        (b"\n \n\t\n", "a 5 bytes file"),  # only blank lines
    ],
)
def test_titles(data: bytes, title: str) -> None:
    assert title_of(data) == title


def test_a_long_first_line_is_cut_with_an_ellipsis_and_a_cut_character_is_dropped() -> None:
    line = "Plan für die Bibliothek — " * 10
    title = title_of(line.encode() + b"\n")
    assert len(title) == TITLE_CHARS and title.endswith("…") and line.startswith(title[:-1].rstrip())
    # 5,000 bytes of text: the first 4 KiB are read, a multibyte character cut at the edge is dropped
    assert title_of(("é" * 2500).encode()).startswith("éé") and "\ufffd" not in title_of(("é" * 2500).encode())
