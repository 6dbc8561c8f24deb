"""The core's command line: ``totalplace solve | validate | export | convert | scenario | split | ...``.

main.py      the typer app, ``solve``/``validate``/``export``, and the entry point
common.py    one scenario loader and one set of exit codes for every command
analysis.py  split, frontier, sensitivity, montecarlo, appraisal, compare, map
forms.py     convert between JSON, YAML, .xlsx and CSV folders
scenario.py  ``scenario build`` from the shipped geography
"""

from optimizer.cli.main import app, main, solve_to_files, write_result

__all__ = ["app", "main", "solve_to_files", "write_result"]
