"""Intake, where a request becomes an accepted action: the pure parse (shape, domain, signature),
the chain's check (deadline, nonce, simulation), conflict keys, the one accept pipeline that HTTP
and the keepers share, and the keepers."""
