"""The outbox: leases, retries, dead letters, several workers on one store."""
