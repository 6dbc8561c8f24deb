"""The ``totalplace`` command: the core's commands plus the service's (serve, worker, keys)."""

from __future__ import annotations

from optimizer.cli import app, main as _core_main

__all__ = ["app", "main"]


def main() -> None:
    _core_main()


if __name__ == "__main__":
    main()
