"""CPU per JSON-RPC call of the hand-written transport (`starfish_dao.chain.transport`) against
http.client, both on one kept-alive connection to the same loopback server (a separate process
that answers every request with the same `eth_call` result), measured with the client process's
own CPU time (`time.process_time`).

    .venv/bin/python benchmarks/transport_bench.py [--n 5000] [--rounds 3]

Prints µs of CPU per call for each, and their ratio (the best of `--rounds` runs each).
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starfish_dao.chain.rpc import Transport

SERVER = r"""
import socket, sys, threading
body = b'{"jsonrpc":"2.0","id":0,"result":"0x' + b"00" * 64 + b'"}'
answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Sun, 06 Dec 2026 21:00:00 GMT\r\n"
          b"Vary: origin, access-control-request-method, access-control-request-headers\r\n"
          b"Access-Control-Allow-Origin: *\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
def handle(conn):
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
        head, _, buf = buf.partition(b"\r\n\r\n")
        length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0].split(b":")[1])
        while len(buf) < length:
            buf += conn.recv(65536)
        buf = buf[length:]
        conn.sendall(answer)
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
while True:
    conn, _ = server.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
"""

CALL = {"jsonrpc": "2.0", "id": 0, "method": "eth_call",
        "params": [{"to": "0x" + "ab" * 20, "data": "0x70a08231" + "00" * 32}, "latest"]}  # fmt: skip


def _transport(port: int, n: int) -> float:
    transport = Transport(f"http://127.0.0.1:{port}/")
    transport.post(CALL)
    start = time.process_time()
    for _ in range(n):
        transport.post(CALL)
    return (time.process_time() - start) / n


def _http_client(port: int, n: int) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "starfish-dao"}

    def post() -> object:
        conn.request("POST", "/", json.dumps(CALL, separators=(",", ":")).encode(), headers)
        return json.loads(conn.getresponse().read())

    post()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start = time.process_time()
    for _ in range(n):
        post()
    return (time.process_time() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        ours = min(_transport(port, args.n) for _ in range(args.rounds))
        theirs = min(_http_client(port, args.n) for _ in range(args.rounds))
    finally:
        server.terminate()
        server.wait()
    print(f"transport    {ours * 1e6:7.1f} µs CPU per call")
    print(f"http.client  {theirs * 1e6:7.1f} µs CPU per call")
    print(f"ratio        {ours / theirs:7.2f}")


if __name__ == "__main__":
    main()
