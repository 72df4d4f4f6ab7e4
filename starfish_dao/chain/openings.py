"""Sealed ratings' openings, kept by the reviewer's own client until the window closes.

A rating is sealed on chain as `keccak256(abi.encode(reviewer, id, stars, keccak256(commentCid),
salt))` while the review window is open, and opened (revealed) after it closes. Nobody but the
reviewer's own devices holds the opening meanwhile: this store (one JSON file per deployment under
the data directory, written atomically) is what the CLI reveals from when it is time. The salt is
derived from the reviewer's key and the contribution (`salt_for`), so a client that lost the file
can still open a rating without a comment by trying the six ratings.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from eth_abi.abi import encode
from eth_utils.crypto import keccak


@dataclass(frozen=True)
class Opening:
    contribution: int
    reviewer: str
    stars: int
    comment: bytes  # the comment's CID (empty: none)
    salt: bytes
    text: bytes = b""  # the comment itself, pinned when the rating is opened (it could say the rating)


def sealed(reviewer: str, contribution: int, stars: int, comment: bytes, salt: bytes) -> bytes:
    """The sealed rating the registry stores (its `_reveal` recomputes exactly this; stars above 5
    can be sealed, as nobody can tell, but never revealed)."""
    return keccak(
        encode(
            ["address", "uint256", "uint8", "bytes32", "bytes32"],
            [reviewer, contribution, stars, keccak(comment), salt],
        )
    )


#: `ContributionRegistry`: the stored word keeps the seal's top bits above the weight's 112
WEIGHT_BITS = 112


def opens(stored: bytes, seal: bytes) -> bool:
    """Whether the registry's stored word (`sealedRating`) is this seal's (its top 144 bits)."""
    return int.from_bytes(stored, "big") >> WEIGHT_BITS == int.from_bytes(seal, "big") >> WEIGHT_BITS


def salt_for(private_key: bytes, registry: str, contribution: int) -> bytes:
    """A salt only the reviewer's key can make (never sent anywhere before the reveal)."""
    return keccak(
        b"starfish.sealed-rating" + private_key + bytes.fromhex(registry[2:]) + contribution.to_bytes(32, "big")
    )


def openings_for(chain_id: int, registry: str) -> Openings:
    """The openings this machine holds for the registry at `registry` on chain `chain_id`."""
    from starfish_dao.config import home

    return Openings(home() / "openings" / f"{chain_id}-{registry.lower()}.json")


class Openings:
    """The openings this client holds, by contribution and reviewer."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._held: dict[str, Opening] = {}
        if path is not None and path.exists():
            for key, o in json.loads(path.read_text()).items():
                self._held[key] = Opening(o["contribution"], o["reviewer"], o["stars"], bytes.fromhex(o["comment"]),
                                          bytes.fromhex(o["salt"]), bytes.fromhex(o.get("text", "")))  # fmt: skip

    @staticmethod
    def _key(contribution: int, reviewer: str) -> str:
        return f"{contribution}:{reviewer.lower()}"

    def hold(self, opening: Opening) -> None:
        self._held[self._key(opening.contribution, opening.reviewer)] = opening
        self._save()

    def get(self, contribution: int, reviewer: str) -> Opening | None:
        return self._held.get(self._key(contribution, reviewer))

    def of(self, contribution: int | None = None) -> list[Opening]:
        return [o for o in self._held.values() if contribution is None or o.contribution == contribution]

    def drop(self, contribution: int, reviewer: str) -> None:
        if self._held.pop(self._key(contribution, reviewer), None) is not None:
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {k: {"contribution": o.contribution, "reviewer": o.reviewer, "stars": o.stars,
                    "comment": o.comment.hex(), "salt": o.salt.hex(), "text": o.text.hex()}
                for k, o in self._held.items()}  # fmt: skip
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".openings-")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        os.chmod(self.path, 0o600)
