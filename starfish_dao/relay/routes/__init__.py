"""The relay's HTTP API, versioned under /v1: one router per prefix (`info` for /v1 itself and the
page's reads, `members`, `contributions`, `treasury`, `artifacts`, `actions`, `events`), the page at
`/` and the offline API reference at `/docs`. `relay/app.py` assembles them. Reads come from the
reference model; writes are signed actions (or a Finalize or a Claim, which need no signature)
checked before they are accepted."""
