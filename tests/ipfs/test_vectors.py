"""The builder against CIDs a real node produced (tests/vectors/unixfs.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from starfish_dao.domain.unixfs import cid_of
from tests.vectors.unixfs_inputs import data

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "unixfs.json").read_text())["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_builder_matches_the_node(vector: dict[str, object]) -> None:
    blob = data(str(vector["name"]))
    assert len(blob) == vector["size"]
    assert str(cid_of(blob, 1)) == vector["cidv1"]
    assert str(cid_of(blob, 0)) == vector["cidv0"]


def test_vectors_cover_the_shapes() -> None:
    names = {v["name"] for v in VECTORS}
    assert names == {"empty", "small", "one-chunk", "one-chunk-plus-one", "several-chunks", "two-level-tree"}
