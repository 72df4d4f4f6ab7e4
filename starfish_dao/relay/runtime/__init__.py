"""What the relay's parts run on: batching workers, child processes, locks by key."""
