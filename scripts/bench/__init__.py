"""`make bench`: oracle throughput, Ed25519 ceiling, anchor gas, and the one-transaction-per-reading baseline."""
