"""``python -m api ...`` is ``totalplace ...`` (handy where the console script is not on PATH)."""

from api.cli import main

main()
