"""For the people who run the servers: request durations, service levels, /healthz, /readyz, /metrics and the trace."""
