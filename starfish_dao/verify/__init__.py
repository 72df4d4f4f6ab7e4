"""Re-derive every number from the chain's events and compare with the contracts' own views."""
