"""What operators and their tools read: ``/healthz`` and ``/readyz`` for load balancers and
orchestrators, ``/metrics`` for Prometheus, JSON log lines (docs/operations.md#monitoring)."""
