"""`/v1/artifacts`: uploads pinned to the relay's IPFS node (limited in size, time, and bytes per
IP per hour by the Guard: `edge/guard.py`)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from starfish_dao.domain.errors import IPFSError
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.routes.deps import RelayDep

artifacts = APIRouter(prefix="/v1/artifacts", tags=["artifacts"])


@artifacts.post(
    "", status_code=201, summary="Upload and pin a file (multipart field `file`); returns its CID",
    openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}}},
)  # fmt: skip
async def upload(request: Request, relay: RelayDep) -> dict[str, Any]:
    limit = relay.settings.max_upload_bytes
    # parsed here, not by the framework: the size limit and the body timeout apply while it streams
    async with request.form(max_files=1, max_fields=4, max_part_size=limit + 1) as form:
        file = form.get("file")
        if file is None or isinstance(file, str):
            raise Refusal(400, "malformed", "send the file as the multipart field 'file'")
        data = await file.read(limit + 1)
    if len(data) > limit:
        raise Refusal(413, "too_large", f"files are limited to {limit} bytes")
    try:
        cid = await asyncio.to_thread(relay.store.add_bytes, data)
    except IPFSError as exc:
        raise Refusal(503, "ipfs_unavailable", str(exc)) from exc
    return {"cid": str(cid), "cidHex": "0x" + cid.bytes.hex(), "size": len(data)}
