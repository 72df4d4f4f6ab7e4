"""Chain backends: a managed anvil node (default), py-evm in process, or any JSON-RPC URL.

The managed anvil runs the binary from npm `@foundry-rs/anvil` on a free loopback port, keeps its
state in the data directory (dumped on stop and every few seconds) and is stopped by its PID.

anvil writes the states of older blocks to `$HOME/.foundry/anvil/tmp` once it holds more than it
keeps in memory (about 1.4 GB for the gas benchmarks' chains), and leaves them there when it is
stopped. A managed anvil runs with its HOME in its own data directory (`anvil_home`), and `stop()`
removes those states: nothing of a node's history outlives it outside the data directory.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import requests
from web3 import Web3
from web3.providers import HTTPProvider
from web3.types import RPCEndpoint, RPCResponse

from starfish_dao import config
from starfish_dao.chain.build import PROJECT_ROOT
from starfish_dao.chain.redact import redact_url, without_secrets
from starfish_dao.domain.errors import ChainError

ANVIL_CHAIN_ID = 31337


class Backend(Protocol):
    """What the toolkit needs from a chain: a Web3, and dev powers where the chain has them."""

    w3: Web3
    name: str

    def fund(self, address: str, wei: int) -> None: ...

    def increase_time(self, seconds: int) -> None: ...

    def close(self) -> None: ...


def anvil_binary() -> Path | None:
    """The anvil binary: $STARFISH_ANVIL, node_modules, or PATH."""
    explicit = os.environ.get("STARFISH_ANVIL")
    if explicit:
        return Path(explicit)
    bundled = PROJECT_ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    if bundled.is_file():
        return bundled
    found = shutil.which("anvil")
    return Path(found) if found else None


def anvil_home(data_dir: Path) -> dict[str, str]:
    """The environment for an anvil whose disk cache of old block states lives in `data_dir/home`:
    ours less every setting and secret (a relay that starts its node keeps its key to itself)."""
    home = data_dir / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {**without_secrets(), "HOME": str(home)}


def forget_old_states(data_dir: Path) -> None:
    """Remove what anvil kept of older block states (`anvil_home`); the node must have stopped."""
    shutil.rmtree(data_dir / "home", ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited child not yet reaped) counts as gone
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@dataclass
class AnvilNode:
    """A managed anvil: `start()` launches or reattaches; `stop()` ends it by PID, state saved."""

    data_dir: Path
    port: int = 0
    pid: int = 0
    chain_id: int = ANVIL_CHAIN_ID
    extra_args: tuple[str, ...] = ()
    persist: bool = True  # keep state on disk (dumped on stop and every few seconds)
    temporary: bool = False  # the data directory is this node's alone: removed by `stop()`
    _process: subprocess.Popen[bytes] | None = None

    @classmethod
    def scratch(cls, prefix: str, **kwargs: Any) -> AnvilNode:
        """A node in a fresh temporary directory, which `stop()` removes (benchmarks, simulations)."""
        return cls(Path(tempfile.mkdtemp(prefix=prefix)), persist=False, temporary=True, **kwargs)

    @classmethod
    def default(cls) -> AnvilNode:
        return cls(config.subdir("anvil"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def _info_file(self) -> Path:
        return self.data_dir / "node.json"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "state.json"

    def running(self) -> bool:
        """Whether a node we started is alive and answering (reads node.json)."""
        if not self._info_file.is_file():
            return False
        info = json.loads(self._info_file.read_text())
        self.port, self.pid = int(info["port"]), int(info["pid"])
        return _pid_alive(self.pid) and self._answers()

    def _answers(self) -> bool:
        try:
            return Web3(HTTPProvider(self.url, request_kwargs={"timeout": 2})).is_connected()
        except Exception:  # noqa: BLE001 - any failure means "not answering"
            return False

    def start(self, timeout: float = 15.0) -> AnvilNode:
        if self.running():
            return self
        binary = anvil_binary()
        if binary is None:
            raise ChainError("no anvil binary: run `npm ci` (it ships in @foundry-rs/anvil) or set STARFISH_ANVIL")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        args = [
            str(binary),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--accounts", "1",
            "--block-base-fee-per-gas", "0",
            *(("--state", str(self.state_file), "--state-interval", "5") if self.persist else ()),
            "--silent",
            *self.extra_args,
        ]  # fmt: skip
        log = open(self.data_dir / "anvil.log", "ab")  # noqa: SIM115 - handed to the child
        self._process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=anvil_home(self.data_dir)
        )
        self.pid = self._process.pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ChainError(f"anvil exited with {self._process.returncode}; see {self.data_dir / 'anvil.log'}")
            if self._answers():
                self._info_file.write_text(json.dumps({"pid": self.pid, "port": self.port, "url": self.url}))
                self._keep_clock_monotonic()
                return self
            time.sleep(0.05)
        self.stop()
        raise ChainError(f"anvil did not answer on {self.url} within {timeout} s")

    def _keep_clock_monotonic(self) -> None:
        """A node restarted from saved state stamps new blocks with the wall clock, which may lie
        before the last block (time moved forward with `node advance` does not survive the restart):
        move the clock past the last block, so that chain time never goes backwards."""
        w3 = Web3(HTTPProvider(self.url, request_kwargs={"timeout": 5}))
        latest = int(w3.eth.get_block("latest")["timestamp"])
        behind = latest + 1 - int(time.time())
        if behind > 0:
            w3.provider.make_request("evm_increaseTime", [behind])  # type: ignore[arg-type]
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def stop(self, timeout: float = 10.0) -> bool:
        """SIGTERM (anvil dumps its state), then SIGKILL if it lingers. True if a node was stopped.
        Either way, the old block states anvil wrote to disk are removed (and the whole data
        directory, for a `scratch` node)."""
        try:
            return self._stop(timeout)
        finally:
            if self.temporary:
                shutil.rmtree(self.data_dir, ignore_errors=True)
            elif not self.pid:
                forget_old_states(self.data_dir)

    def _stop(self, timeout: float) -> bool:
        if not self.pid and self._info_file.is_file():
            self.pid = int(json.loads(self._info_file.read_text())["pid"])
        if not self.pid or not _pid_alive(self.pid):
            self._info_file.unlink(missing_ok=True)
            self.pid = 0
            return False
        os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None:
                self._process.poll()
            if not _pid_alive(self.pid):
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
        if self._process is not None:
            self._process.wait()
        self._info_file.unlink(missing_ok=True)
        self.pid = 0
        return True


class NodeAnswerError(ChainError):
    """The node (or a proxy in front of it) answered what is not JSON-RPC, an HTML page say: as good
    as down (the relay answers 503, the CLI one line), never a ValueError that reads as our bug."""


class _Provider(HTTPProvider):
    """web3's HTTPProvider, whose non-JSON answer (a `json.JSONDecodeError`, a ValueError that
    quotes the body) or answer of the wrong shape becomes a `NodeAnswerError`."""

    @staticmethod
    def decode_rpc_response(raw_response: bytes) -> RPCResponse:
        try:
            answer = HTTPProvider.decode_rpc_response(raw_response)
        except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise NodeAnswerError("the node answered what is not JSON (a proxy's page?)") from None
        if not isinstance(answer, (dict, list)):
            raise NodeAnswerError("the node answered JSON that is not JSON-RPC")
        return answer

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        answer = super().make_request(method, params)
        if not isinstance(answer, dict):
            raise NodeAnswerError("the node answered JSON that is not JSON-RPC")
        return answer


class RpcBackend:
    """Any JSON-RPC URL. Dev powers (fund, time travel) work where the node offers them (anvil, hardhat)."""

    def __init__(self, url: str, name: str = "rpc", node: AnvilNode | None = None) -> None:
        session = requests.Session()
        # a node on this machine needs no proxy: skip requests' scan of the proxy environment
        # variables, which it would otherwise repeat on every call (about 0.6 ms each)
        session.trust_env = urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1")
        provider = _Provider(
            url,
            request_kwargs={"timeout": 60},
            session=session,
            # web3 asks for the chain id before every call it validates: ask the node once
            cache_allowed_requests=True,
            cacheable_requests={RPCEndpoint("eth_chainId"), RPCEndpoint("net_version")},
        )
        self.w3 = Web3(provider)
        self.url = url
        self.name = name
        self.node = node
        if not self.w3.is_connected():
            raise ChainError(f"no JSON-RPC node answers at {redact_url(url)}")  # its key stays unsaid

    def _dev(self, method: str, params: list[Any]) -> Any:
        response = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in response:
            raise ChainError(f"{method} is not available on {redact_url(self.url)}: {response['error']}")
        return response.get("result")

    def fund(self, address: str, wei: int) -> None:
        self._dev("anvil_setBalance", [address, hex(wei)])

    def increase_time(self, seconds: int) -> None:
        self._dev("evm_increaseTime", [seconds])
        self._dev("evm_mine", [])

    def snapshot(self) -> str:
        return str(self._dev("evm_snapshot", []))

    def revert(self, snapshot_id: str) -> None:
        self._dev("evm_revert", [snapshot_id])

    def close(self) -> None:
        """Nothing to release: a managed node keeps running until `starfish node stop`."""


class PyEvmBackend:
    """py-evm in process through eth-tester: no binary needed, about 3x slower than anvil."""

    name = "py-evm"

    def __init__(self) -> None:
        try:
            from eth_tester import EthereumTester, PyEVMBackend
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ChainError("py-evm backend needs `pip install 'eth-tester[py-evm]'`") from exc
        from web3.providers.eth_tester import EthereumTesterProvider

        self.tester = EthereumTester(PyEVMBackend())
        self.w3 = Web3(EthereumTesterProvider(self.tester))

    def fund(self, address: str, wei: int) -> None:
        faucet = self.tester.get_accounts()[0]
        self.tester.send_transaction({"from": faucet, "to": address, "value": wei, "gas": 21000})

    def increase_time(self, seconds: int) -> None:
        latest = self.tester.get_block_by_number("latest")["timestamp"]
        self.tester.time_travel(int(latest) + seconds)
        self.tester.mine_blocks(1)

    def snapshot(self) -> str:
        return str(self.tester.take_snapshot())

    def revert(self, snapshot_id: str) -> None:
        self.tester.revert_to_snapshot(int(snapshot_id))

    def close(self) -> None:
        pass


def connect(rpc_url: str | None = None, backend: str | None = None) -> RpcBackend | PyEvmBackend:
    """The chain: `rpc_url` if given, else $STARFISH_RPC_URL, else the managed anvil, else py-evm."""
    url = rpc_url or os.environ.get("STARFISH_RPC_URL")
    choice = backend or os.environ.get("STARFISH_BACKEND", "auto")
    if url:
        return RpcBackend(url)
    if choice == "py-evm" or (choice == "auto" and anvil_binary() is None):
        return PyEvmBackend()
    if choice not in ("auto", "anvil"):
        raise ChainError(f"unknown backend {choice!r}: use anvil, py-evm or an RPC URL")
    node = AnvilNode.default().start()
    return RpcBackend(node.url, name="anvil", node=node)
