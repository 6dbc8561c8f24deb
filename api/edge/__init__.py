"""The request edge: API keys (``auth``), rate limit, idempotency, body limits, the cache-hit fast path, middleware and error bodies."""
