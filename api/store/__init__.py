"""The store: SQLAlchemy models (``db``), tenant-scoped reads and writes (``crud``), schema migrations (``migrations``)."""
