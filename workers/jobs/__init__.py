"""Job functions, one module per domain. Each is safe to run twice."""
