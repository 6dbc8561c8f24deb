"""The text forms of a scenario: JSON (canonical), gzipped JSON and YAML.

Reading is strict where the document must be unambiguous: a key given twice
(in JSON or YAML) and a YAML alias are refused rather than silently resolved,
and a file too large or not UTF-8 is refused with its location. Writing is
deterministic (sorted keys, no gzip timestamp) so that a scenario saved twice
gives the same bytes.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from optimizer.errors import Problem, ScenarioError

MAX_BYTES = 256 * 2**20  # the largest document read (England's 33,755 LSOAs need ~14 MB)

if TYPE_CHECKING:  # checked against the pure-Python classes: libyaml's construct and represent through the same methods
    from yaml import SafeDumper as _SafeDumper
    from yaml import SafeLoader as _SafeLoader
else:  # libyaml's when it is built: the same documents, read and written faster
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def read_document(path: Path, form: str) -> dict[str, Any]:
    """The document in a ``json``, ``json.gz`` or ``yaml`` file; anything but a mapping is refused here, before the schema."""
    text = _read_text(path, form == "json.gz")
    data = _parse_yaml(text, path) if form == "yaml" else _parse_json(text, path)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(str(path), "a scenario must be a mapping of field names to values")])
    return data


def write_json(doc: dict[str, Any], path: Path, *, gz: bool) -> None:
    """Write ``doc`` as indented JSON with sorted keys; gzipped without a timestamp, so that the same scenario gives the same bytes."""
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)


def write_yaml(doc: dict[str, Any], path: Path) -> None:
    """Write ``doc`` as YAML with sorted keys and no line folding (a long label stays on one line)."""
    path.write_text(yaml.dump(doc, Dumper=_YamlDumper, sort_keys=True, allow_unicode=True, width=1_000_000), encoding="utf-8")


def _read_text(path: Path, gz: bool) -> str:
    try:
        if gz:
            with gzip.open(path, "rb") as fh:
                raw = fh.read(MAX_BYTES + 1)
        else:
            if path.stat().st_size > MAX_BYTES:
                raise ScenarioError([Problem(str(path), f"is larger than {MAX_BYTES >> 20} MB")])
            raw = path.read_bytes()
    except (OSError, EOFError) as exc:
        raise ScenarioError([Problem(str(path), f"cannot be read: {exc}")]) from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError([Problem(str(path), f"is larger than {MAX_BYTES >> 20} MB once decompressed")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(f"{path} byte {exc.start}", "is not UTF-8 text: save the file as UTF-8")]) from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice in one object: keep one")
        out[key] = value
    return out


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ScenarioError([Problem(f"{path} line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}")]) from None
    except (ValueError, RecursionError) as exc:
        raise ScenarioError([Problem(str(path), f"not a valid scenario document: {exc}")]) from None


class _YamlLoader(_SafeLoader):
    """Safe YAML (libyaml's when built) without aliases (``*name``) or duplicate keys; integer keys become strings."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:  # a node met twice is an alias
            raise yaml.MarkedYAMLError(None, None, "aliases (*name) are not allowed in a scenario: write the value out", node.start_mark)
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            key = (key_node.tag, str(key_node.value))
            if isinstance(key_node, yaml.ScalarNode) and key in seen:
                raise yaml.MarkedYAMLError(
                    None, None, f"key {key_node.value!r} appears twice in one mapping: keep one", key_node.start_mark
                )
            seen.add(key)
        data = super().construct_mapping(node, deep=deep)
        return {str(k) if isinstance(k, int) and not isinstance(k, bool) else k: v for k, v in data.items()}


class _YamlDumper(_SafeDumper):
    """Safe YAML that quotes (and escapes) text holding characters a YAML reader takes for line breaks."""


def _represent_text(dumper: _YamlDumper, value: str) -> yaml.ScalarNode:
    style = '"' if any(c in value for c in "\x85\u2028\u2029\ufeff") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_YamlDumper.add_representer(str, _represent_text)


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        return yaml.load(text, Loader=_YamlLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path} line {mark.line + 1} column {mark.column + 1}" if mark is not None else str(path)
        what = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem(where, f"not valid YAML: {what}")]) from None
    except (ValueError, RecursionError) as exc:
        raise ScenarioError([Problem(str(path), f"not a valid scenario document: {exc}")]) from None
