"""The relay's edge, where a request arrives: the guard and its fast path, the server, budgets and
limits, the one shape of a refusal (problems) and redaction of secrets."""
