"""Is the work offered for review the work its author claimed? One check for every client.

The registry keys a contribution by the content hash (sha256 of the file's bytes) its author
declares. For a raw CID the registry itself checks that the CID's digest is that hash; a UnixFS
(dag-pb) CID hashes a DAG node, not the file, so only a reader of the bytes can tell whether they
hash to the declared content hash. `starfish show`, `review`, `todo` and the relay's contribution
route all fetch the bytes and ask this module before a reviewer rates them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from starfish_dao.domain.unixfs import CID
from starfish_dao.ipfs import ArtifactStore

Verdict = Literal["match", "mismatch", "unavailable"]


_MAGIC = ((b"%PDF", "PDF"), (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"),
          (b"PK\x03\x04", "ZIP archive (or an office document)"), (b"\x1f\x8b", "gzip archive"))  # fmt: skip
TITLE_CHARS = 72


def title_of(data: bytes) -> str:
    """What to call a piece of work when listing it: the first line of a text file (at most 72
    characters), else its kind and size ("a 12 KiB PDF"). The registry keeps no title: this is read
    from the bytes themselves, so every client that fetched them calls the work the same."""
    size = len(data)
    if size == 0:
        return "an empty file"
    human = f"{size} bytes" if size < 1024 else f"{size // 1024:,} KiB"
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return f"a {human} {kind}"
    try:
        text = data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        text = data[:4095].decode("utf-8", errors="ignore") if size > 4096 else ""
    line = next((ln.strip().lstrip("#").strip() for ln in text.splitlines() if ln.strip()), "")
    if not line or any(ord(ch) < 32 and ch != "\t" for ch in line):
        return f"a {human} file"
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class ContentCheck:
    verdict: Verdict
    cid: str
    message: str  # one plain sentence for a person
    title: str = ""  # `title_of` the bytes, when they could be fetched

    @property
    def ok(self) -> bool:
        return self.verdict == "match"

    def as_json(self) -> dict[str, str]:
        return {"verdict": self.verdict, "cid": self.cid, "message": self.message, "title": self.title}


def check_content(store: ArtifactStore | None, cid: bytes, content_hash: bytes) -> ContentCheck:
    """Fetches the artifact and compares the sha256 of its bytes with the declared content hash."""
    try:
        parsed = CID.from_bytes(cid)
    except ValueError as exc:
        return ContentCheck("mismatch", "0x" + cid.hex(), f"the artifact's CID is not a CID ({exc})")
    text = str(parsed)
    if store is None:
        return ContentCheck("unavailable", text, f"not checked: no IPFS node to fetch {text} from")
    try:
        data = store.cat(parsed)
    except Exception as exc:  # noqa: BLE001 - any failure to fetch is reported as such, never as a match
        return ContentCheck("unavailable", text, f"not checked: {text} could not be fetched ({type(exc).__name__})")
    digest = hashlib.sha256(data).digest()
    title = title_of(data)
    if digest == content_hash:
        return ContentCheck("match", text, f"the bytes behind {text} are the work its author claimed", title)
    return ContentCheck(
        "mismatch",
        text,
        f"the bytes behind {text} are NOT the work its author claimed: they hash to 0x{digest.hex()[:16]}…, "
        f"the author declared 0x{content_hash.hex()[:16]}… (a copy of other work, or a forged claim: rate it 0)",
        title,
    )
