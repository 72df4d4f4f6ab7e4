"""Regenerates tests/vectors/unixfs.json from a real IPFS node.

    STARFISH_IPFS_API=/ip4/127.0.0.1/tcp/5001 .venv/bin/python tests/vectors/make_unixfs_vectors.py

For every input of `unixfs_inputs.py`, asks the node for its CID with `ipfs add` options
`--cid-version 1 --raw-leaves --chunker size-262144` and `--cid-version 0` (without adding the
result to the vectors unless the node answered), and records the node's version.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from starfish_dao.domain.unixfs import CID
from starfish_dao.ipfs.kubo import KuboStore
from tests.vectors.unixfs_inputs import SIZES, data


def main() -> None:
    node = KuboStore(os.environ["STARFISH_IPFS_API"])
    version = node.version()
    vectors = []
    for name, size in SIZES.items():
        blob = data(name)
        entry: dict[str, object] = {"name": name, "size": size}
        for v in (1, 0):
            out = node.client.add(io.BytesIO(blob), **node._add_options(v))
            entry[f"cidv{v}"] = str(CID.parse(out["Hash"]))
        vectors.append(entry)
    out_path = Path(__file__).with_name("unixfs.json")
    doc = {
        "produced_by": f"{(version.get('ipfs-core') and 'js-ipfs ipfs-core ' + version['ipfs-core']) or version}",
        "node_version": version.get("Version"),
        "how": "ipfs add (Kubo RPC /api/v0/add) with cid-version 1 + raw-leaves + chunker size-262144, "
        "and cid-version 0; inputs from tests/vectors/unixfs_inputs.py",
        "vectors": vectors,
    }
    out_path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(vectors)} vectors to {out_path}")


if __name__ == "__main__":
    main()
