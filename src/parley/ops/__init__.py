"""Running an instance: /health, Prometheus /metrics, structured logs with request ids."""
