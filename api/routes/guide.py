"""``GET /guide/{name}.md``: the project's documentation (docs/*.md), so that the links of the API's description resolve.

The OpenAPI description points at the model (``/guide/model.md``), the result format and
the service's guide; a reader of ``/docs`` follows them on the service itself, with no
other site to reach. Only the files of ``docs/`` are served, by name.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response

router = APIRouter(tags=["operations"])

#: docs/ of the checkout (an editable install), else of the working directory (the image copies it to /app/docs)
PLACES = (FilePath(__file__).resolve().parents[2] / "docs", FilePath.cwd() / "docs")


def _docs() -> FilePath | None:
    return next((d for d in PLACES if d.is_dir()), None)


def pages() -> list[str]:
    """The documentation pages served (their names without ``.md``)."""
    docs = _docs()
    return sorted(p.stem for p in docs.glob("*.md")) if docs is not None else []


@router.get("/guide/{name}.md", summary="A page of the project's documentation (Markdown)", include_in_schema=False)
def guide(name: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")]) -> Response:
    if name not in pages():
        raise HTTPException(404, f"no documentation page {name!r}: the pages are {', '.join(pages()) or 'not installed here'}")
    docs = _docs()
    assert docs is not None
    return Response((docs / f"{name}.md").read_text(encoding="utf-8"), media_type="text/markdown; charset=utf-8")
