"""The outbox, where an accepted action waits and goes out: the durable queue with its status enum,
the submitter that signs and sends from the relayer account, the reconciliation that follows the
chain (mined, final, rolled back, stuck), the last look before sending, and the submitter's own
process."""
