"""What the browser tests share: where the service and Chromium are, and the running service."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = os.environ.get("TOTALPLACE_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Service:
    url: str
    keys: dict[str, str]  # tenant name -> key
    env: dict[str, str]
