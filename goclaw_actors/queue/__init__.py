"""Queue rules as plain logic: state machine, backoff, failure decisions, idempotency keys."""
