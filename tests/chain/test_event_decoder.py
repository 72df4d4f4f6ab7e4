"""The log decoder's word-by-word path gives exactly what eth_abi gives, for every event the
contracts emit (and falls back to eth_abi, with its error, on a malformed word)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from starfish_dao.chain import artifacts
from starfish_dao.chain.client import EventDecoder

EVENTS = [(name, item) for name in artifacts.names() for item in artifacts.abi(name) if item.get("type") == "event"]


def _value(typ: str) -> st.SearchStrategy[Any]:
    if typ == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address(b))
    if typ == "bool":
        return st.booleans()
    if typ == "bytes32":
        return st.binary(min_size=32, max_size=32)
    if typ.startswith("uint") and not typ.endswith("]"):
        return st.integers(0, 2 ** int(typ[4:] or 256) - 1)
    if typ.startswith("int") and not typ.endswith("]"):
        bits = int(typ[3:] or 256)
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if typ == "string":
        return st.text(max_size=40)
    if typ == "bytes":
        return st.binary(max_size=70)
    if typ == "address[]":
        return st.lists(_value("address"), max_size=3)
    if typ.endswith("[]"):
        return st.lists(_value(typ[:-2]), max_size=3)
    raise AssertionError(f"no strategy for {typ}")


def test_every_static_event_takes_the_word_path() -> None:
    """Most events are one-word values: the fast path is the one the relay's poller runs."""
    static = [EventDecoder(n, item).static for n, item in EVENTS]
    assert len(static) > 20 and sum(static) >= len(static) * 2 // 3, (sum(static), len(static))


@settings(max_examples=300)
@given(st.data())
def test_word_path_matches_eth_abi(data: st.DataObject) -> None:
    name, item = data.draw(st.sampled_from(EVENTS))
    fast = EventDecoder(name, item)
    slow = EventDecoder(name, item)
    slow.static = slow.words = False
    plain = [i for i in item["inputs"] if not i["indexed"]]
    values = [data.draw(_value(i["type"])) for i in plain]
    payload = encode([i["type"] for i in plain], values)
    topics = [fast.topic] + [data.draw(st.binary(min_size=32, max_size=32)).rjust(32, b"\0")
                             for i in item["inputs"] if i["indexed"]]  # fmt: skip
    # indexed values must be well-formed words of their type for both paths
    topics = [topics[0]] + [
        (b"\0" * 12 + t[12:]) if typ == "address" else (b"\0" * 31 + bytes([t[-1] & 1])) if typ == "bool" else t
        for t, typ in zip(topics[1:], [i["type"] for i in item["inputs"] if i["indexed"]], strict=True)
    ]
    assert fast.decode(topics, payload) == slow.decode(topics, payload)


def test_a_malformed_word_is_refused_as_eth_abi_refuses_it() -> None:
    item = {"type": "event", "name": "E", "anonymous": False,
            "inputs": [{"name": "who", "type": "address", "indexed": False},
                       {"name": "ok", "type": "bool", "indexed": False}]}  # fmt: skip
    decoder = EventDecoder("x", item)
    assert decoder.static
    good = encode(["address", "bool"], ["0x" + "11" * 20, True])
    assert decoder.decode([decoder.topic], good)["ok"] is True
    for bad in (b"\x01" + good[1:], good[:32] + b"\0" * 31 + b"\x02"):
        with pytest.raises(Exception, match=r"(?i)padding|bool|address"):
            decoder.decode([decoder.topic], bad)


def test_events_with_bytes_take_the_word_path_when_canonical_and_eth_abi_otherwise() -> None:
    """A rating's comment and a submission's CID: read without eth_abi when encoded as Solidity
    emits them; an offset, a length or padding off the canonical form goes to eth_abi, which reads
    it the same or refuses it."""
    item = {"type": "event", "name": "E", "anonymous": False,
            "inputs": [{"name": "n", "type": "uint8", "indexed": False},
                       {"name": "cid", "type": "bytes", "indexed": False},
                       {"name": "who", "type": "address", "indexed": False}]}  # fmt: skip
    fast, slow = EventDecoder("x", item), EventDecoder("x", item)
    slow.words = False
    assert fast.words and not fast.static
    for cid in (b"", b"\x01" * 31, b"\x02" * 32, b"\x03" * 33, b"\x04" * 100):
        good = encode(["uint8", "bytes", "address"], [5, cid, "0x" + "11" * 20])
        assert fast.decode([fast.topic], good) == slow.decode([slow.topic], good) == {
            "n": 5, "cid": cid, "who": to_checksum_address("0x" + "11" * 20)}  # fmt: skip
    good = encode(["uint8", "bytes", "address"], [5, b"\x01\x02", "0x" + "11" * 20])
    odd = [
        good + b"\0" * 32,  # a trailing word
        good[:-1] + b"\x01",  # a padding byte set
        good[:32] + (128).to_bytes(32, "big") + good[64:] + b"\0" * 32,  # an offset past a gap
        good[:96] + (2**200).to_bytes(32, "big") + good[128:],  # a length past the end
    ]
    for bad in odd:
        try:
            expected: Any = slow.decode([slow.topic], bad)
        except Exception as exc:  # noqa: BLE001 - whatever eth_abi raises, the fast decoder raises too
            with pytest.raises(type(exc)):
                fast.decode([fast.topic], bad)
        else:
            assert fast.decode([fast.topic], bad) == expected
