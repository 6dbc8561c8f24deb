"""Alembic's own command line on the store of the settings: ``python -m api.store.migrations COMMAND ...``.

There is no ``alembic.ini``: the configuration is ``api.store.migrations.config``
with ``TOTALPLACE_DATABASE_URL``. For a new revision, bring a scratch
database to head, change the models, then:

    TOTALPLACE_DATABASE_URL=sqlite:///var/dev.db python -m api.store.migrations upgrade head
    TOTALPLACE_DATABASE_URL=sqlite:///var/dev.db python -m api.store.migrations revision --autogenerate --rev-id 0003 -m "what changes"

Deployments use ``totalplace db upgrade`` (which also adopts a database made
before migrations existed).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from alembic.config import CommandLine

from api.settings import get_settings
from api.store.migrations import config


def main(argv: Sequence[str] | None = None) -> None:
    cli = CommandLine(prog="python -m api.store.migrations")
    options = cli.parser.parse_args(argv)
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    cfg = config(get_settings().database_url)
    cfg.cmd_opts = options
    cli.run_cmd(cfg, options)


if __name__ == "__main__":
    main(sys.argv[1:])
