"""The API's routers: ``/v1/...`` for tenants, and the operator's health and metrics endpoints."""
