"""Google's discovery document: request bodies and ``fields`` masks checked against it, and
masks applied to answers."""

from __future__ import annotations

import copy
import json
import re
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .sheet import bad

DISCOVERY = Path(__file__).resolve().parents[4] / "shared" / "reference" / "sheets.v4.json"


# -- discovery-document checks --------------------------------------------------------------

def snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


class Discovery:
    """Request bodies and field masks checked against Google's own schemas."""

    def __init__(self, path: Path | None):
        self.schemas: dict | None = None
        if path is not None and path.is_file():
            self.schemas = json.loads(path.read_text(encoding="utf-8"))["schemas"]

    def check(self, value: Any, schema: str) -> None:
        if self.schemas is not None:
            self._check(value, {"$ref": schema}, "")

    def _check(self, value: Any, spec: dict, path: str) -> None:
        if value is None:
            return
        where = f" at '{path}'" if path else ""
        if "$ref" in spec:
            schema = self.schemas[spec["$ref"]]
            if not isinstance(value, dict):
                raise bad(f"Invalid value{where} (type.googleapis.com/google.apps.sheets.v4."
                          f"{spec['$ref']}), {json.dumps(value)}")
            props = schema.get("properties", {})
            for key, item in value.items():
                if key not in props:
                    raise bad(f'Invalid JSON payload received. Unknown name "{key}"{where}: '
                              "Cannot find field.")
                self._check(item, props[key], f"{path}.{snake(key)}" if path else snake(key))
            return
        kind = spec.get("type")
        ok = {"array": lambda v: isinstance(v, list),
              "object": lambda v: isinstance(v, dict),
              "string": lambda v: isinstance(v, str),
              "boolean": lambda v: isinstance(v, bool),
              "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
              or (isinstance(v, str) and v.lstrip("-").isdigit()),
              "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool)}
        if kind in ok and not ok[kind](value):
            raise bad(f"Invalid value{where} ({kind}), {json.dumps(value)}")
        if kind == "string" and "enum" in spec and value not in spec["enum"]:
            raise bad(f"Invalid value{where}, {json.dumps(value)}")
        if kind == "array":
            for i, item in enumerate(value):
                self._check(item, spec["items"], f"{path}[{i}]")
        if kind == "object" and "additionalProperties" in spec:
            for key, item in value.items():
                self._check(item, spec["additionalProperties"], f"{path}[{key}]")

    def check_mask(self, tree: dict, schema: str = "Spreadsheet", path: str = "") -> None:
        if self.schemas is None:
            return
        props = self.schemas[schema].get("properties", {})
        for name, sub in tree.items():
            spec = props.get(name)
            if spec is None:
                raise bad("Error expanding 'fields' parameter. Cannot find matching fields for "
                          f"path '{path}{name}'.")
            while spec.get("type") == "array":
                spec = spec["items"]
            if sub and "$ref" in spec:
                self.check_mask(sub, spec["$ref"], f"{path}{name}.")


def parse_mask(text: str) -> dict:
    """``a,b(c,d.e)`` -> {'a': {}, 'b': {'c': {}, 'd': {'e': {}}}}; {} means everything."""
    text = text.replace("/", ".").replace(" ", "")
    tree: dict = {}

    def parse(pos: int, into: dict) -> int:
        while pos < len(text):
            match = re.compile(r"[\w.]+").match(text, pos)
            if not match:
                raise bad(f"Invalid field selection {text}")
            node = into
            for part in match.group().split("."):
                node = node.setdefault(part, {})
            pos = match.end()
            if pos < len(text) and text[pos] == "(":
                pos = parse(pos + 1, node)
                pos += 1  # the closing parenthesis
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            return pos
        return pos
    parse(0, tree)
    return tree


def prune(value: Any, tree: dict) -> Any:
    if not tree:
        return value
    if isinstance(value, list):
        return [prune(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: prune(v, tree[k]) for k, v in value.items() if k in tree}
    return value


def masked_merge(target: dict, source: dict, mask: str) -> None:
    """Copy the masked paths of ``source`` into ``target`` (absent in source: removed)."""
    def paths(tree: dict, prefix: tuple = ()) -> Iterable[tuple]:
        for name, sub in tree.items():
            yield from paths(sub, prefix + (name,)) if sub else [prefix + (name,)]
    if mask.strip() == "*":
        target.clear()
        target.update(copy.deepcopy(source))
        return
    for path in paths(parse_mask(mask)):
        src, dst = source, target
        for part in path[:-1]:
            src = src.get(part) if isinstance(src, dict) else None
            dst = dst.setdefault(part, {})
        last = path[-1]
        if isinstance(src, dict) and last in src and src[last] is not None:
            dst[last] = copy.deepcopy(src[last])
        else:
            dst.pop(last, None)


def float32(value: float) -> float:
    """Colours come back from Google as float32 printed with 8 significant digits."""
    return float(f"{struct.unpack('f', struct.pack('f', value))[0]:.8g}")


def colour(rgb: dict | None) -> dict:
    return {k: float32(v) for k, v in (rgb or {}).items() if v}


def with_twins(fmt: dict) -> dict:
    """What Google stores for a format: colours as float32, plus the ``*ColorStyle`` twins."""
    fmt = copy.deepcopy(fmt)
    if "backgroundColor" in fmt:
        fmt["backgroundColor"] = colour(fmt["backgroundColor"])
        fmt["backgroundColorStyle"] = {"rgbColor": fmt["backgroundColor"]}
    text = fmt.get("textFormat")
    if isinstance(text, dict) and "foregroundColor" in text:
        text["foregroundColor"] = colour(text["foregroundColor"])
        text["foregroundColorStyle"] = {"rgbColor": text["foregroundColor"]}
    return fmt


def strip_zero_sheet(value: Any) -> Any:
    """GridRanges come back without ``sheetId`` when it is 0 (proto3 default)."""
    if isinstance(value, list):
        return [strip_zero_sheet(v) for v in value]
    if isinstance(value, dict):
        out = {k: strip_zero_sheet(v) for k, v in value.items()}
        if out.get("sheetId") == 0 and any(k.endswith("Index") for k in out):
            del out["sheetId"]
        return out
    return value

