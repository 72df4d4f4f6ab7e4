"""A real IPFS node for the integration tests: js-ipfs (npm ipfs@0.66.1) from ipfs-node/, which speaks
the Kubo RPC API. Kubo itself cannot be installed here; where a `ipfs` (kubo) binary is on PATH and
STARFISH_TEST_KUBO=1, it is used instead."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from starfish_dao.chain.backends import free_port
from starfish_dao.chain.build import PROJECT_ROOT

JSIPFS = PROJECT_ROOT / "ipfs-node" / "node_modules" / ".bin" / "jsipfs"


class IpfsDaemon:
    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.process: subprocess.Popen[bytes] | None = None
        self.api_port = 0
        self.gateway_port = 0

    @property
    def multiaddr(self) -> str:
        return f"/ip4/127.0.0.1/tcp/{self.api_port}/http"

    def _binary(self) -> list[str]:
        if os.environ.get("STARFISH_TEST_KUBO") == "1" and shutil.which("ipfs"):
            return [str(shutil.which("ipfs"))]
        if not JSIPFS.exists():
            raise RuntimeError("no IPFS node: run `npm ci --prefix ipfs-node` (scripts/test.sh does)")
        return [str(JSIPFS)]

    def start(self, timeout: float = 60) -> IpfsDaemon:
        binary = self._binary()
        env = {**os.environ, "IPFS_PATH": str(self.repo)}
        subprocess.run([*binary, "init", "--profile", "test"], env=env, check=True, capture_output=True)
        config_path = self.repo / "config"
        config = json.loads(config_path.read_text())
        self.api_port = free_port()
        addresses = config["Addresses"]
        addresses["API"] = f"/ip4/127.0.0.1/tcp/{self.api_port}"
        self.gateway_port = free_port()
        addresses["Gateway"] = f"/ip4/127.0.0.1/tcp/{self.gateway_port}"
        if "RPC" in addresses:
            addresses["RPC"] = f"/ip4/127.0.0.1/tcp/{free_port()}"
        addresses["Swarm"] = [f"/ip4/127.0.0.1/tcp/{free_port()}"]
        config["Bootstrap"] = []
        config_path.write_text(json.dumps(config, indent=1))
        log = open(self.repo / "daemon.log", "ab")  # noqa: SIM115 - handed to the child
        args = [*binary, "daemon"]
        if binary[0] == str(JSIPFS):
            args.append("--enable-preload=false")
        self.process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"IPFS daemon exited: {(self.repo / 'daemon.log').read_text()[-2000:]}")
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{self.api_port}/api/v0/version", method="POST")
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"IPFS daemon did not answer within {timeout} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
