"""The emergency fast path: runs in the gateway before Rasa and does not depend on it."""
