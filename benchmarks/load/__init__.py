"""The API under load: locust against a local production-mode service (``python -m benchmarks.load``; README.md there)."""
