"""An in-process Google Sheets API v4 emulator, answering as Google does, for the test suite.

It is a ``requests`` transport adapter: ``emulator.session()`` gives a session whose Sheets
host and token host are answered here, so real gspread and real google-auth code run against
it. ``emulator.serve()`` also answers over real HTTP on 127.0.0.1, for tests that run the
``sheetfunnel`` command itself with ``SHEETFUNNEL_SHEETS_ENDPOINT`` pointing there.

What it reproduces (each checked against the recorded exchanges in
``shared/reference/gspread-cassettes`` or Google's discovery document):

* value ranges echoed in A1 clipped to the grid (``'My tab'!A1:C10``), trailing empty cells
  and rows trimmed, no ``values`` key for an empty range, UNFORMATTED/FORMATTED/FORMULA and
  SERIAL_NUMBER/FORMATTED_STRING renders, RAW versus USER_ENTERED input, ``null`` skipping a
  cell and ``""`` clearing it, 400 "exceeds grid limits" on writes past the grid;
* ``spreadsheets.get`` with ``fields`` masks (checked against the Spreadsheet schema) and
  ``ranges``; ``batchUpdate`` applied atomically with Google's ``replies``; conditional formats,
  charts, protected ranges and developer metadata kept, so idempotency can be tested;
* every request body checked against ``sheets.v4.json``: an unknown member is Google's 400
  "Invalid JSON payload received. Unknown name ..." (no checking when the file is absent);
* Google's error JSON; a token endpoint that verifies a service account's signed JWT (or an
  authorized user's refresh token) and issues the bearer tokens it then requires;
* faults: 429 with ``Retry-After``, 5xx, dropped connections, and hooks that let a test act as
  a person editing between two requests. Latency is simulated (counted, never slept);
* network faults on an answer (``reset_mid_body``, ``slow_drip``): the request is carried out,
  then its answer's headers are sent and the body is cut by a connection reset, or trickled
  slower than any client deadline. Over ``serve()`` they happen on the real socket; through
  the adapter a reset raises what requests raises, and a drip really waits (a bounded few
  seconds) before the cut. The token endpoint can answer outages (``fail_token``).

Formulas are evaluated only when they are plain arithmetic (``=4/2``); any other formula reads
as ``#N/A``.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import copy
import datetime as dt
import json
import operator
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

DISCOVERY = Path(__file__).resolve().parents[2] / "shared" / "reference" / "sheets.v4.json"
BASE_URL = "https://sheets.emulator.test"
TOKEN_URI = "https://oauth2.emulator.test/token"
SCOPE = "https://www.googleapis.com/auth/spreadsheets"
EPOCH = dt.date(1899, 12, 30)
DATE_FORMAT = {"type": "DATE", "pattern": "yyyy-mm-dd"}
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
STATUSES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
            404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE",
            503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
MESSAGES = {404: "Requested entity was not found.",
            403: "The caller does not have permission",
            401: "Request had invalid authentication credentials. Expected OAuth 2 access "
                 "token, login cookie or other valid authentication credential.",
            500: "Internal error encountered.", 502: "Bad Gateway",
            503: "The service is currently unavailable.", 504: "Deadline exceeded"}
DEFAULT_FORMAT = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM", "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {"foregroundColor": {}, "fontFamily": "arial,sans,sans-serif", "fontSize": 10,
                   "bold": False, "italic": False, "strikethrough": False, "underline": False,
                   "foregroundColorStyle": {"rgbColor": {}}},
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}
THEME = {"primaryFontFamily": "Arial", "themeColors": [
    {"colorType": kind, "color": {"rgbColor": rgb}} for kind, rgb in (
        ("TEXT", {}), ("BACKGROUND", {"red": 1, "green": 1, "blue": 1}),
        ("ACCENT1", {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}),
        ("ACCENT2", {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}),
        ("ACCENT3", {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}),
        ("ACCENT4", {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}),
        ("ACCENT5", {"red": 1, "green": 0.42745098, "blue": 0.003921569}),
        ("ACCENT6", {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}),
        ("LINK", {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}))]}


class ApiError(Exception):
    """An answer other than 200, raised inside a handler."""

    def __init__(self, code: int, message: str | None = None, headers: dict | None = None,
                 details: list | None = None):
        super().__init__(message)
        self.code = code
        self.message = message or MESSAGES.get(code, "")
        self.headers = headers or {}
        self.details = details

    def body(self) -> dict:
        error: dict[str, Any] = {"code": self.code, "message": self.message,
                                 "status": STATUSES.get(self.code, "UNKNOWN")}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad(message: str) -> ApiError:
    return ApiError(400, message)


# -- A1 notation ----------------------------------------------------------------------------

def letters(col: int) -> str:
    """0 -> A."""
    text = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        text = chr(65 + rest) + text
    return text


def col_index(text: str) -> int:
    number = 0
    for ch in text.upper():
        number = number * 26 + ord(ch) - 64
    return number - 1


def quote_title(title: str) -> str:
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(
        r"[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*", title)
    return title if plain else "'" + title.replace("'", "''") + "'"


def split_range(text: str) -> tuple[str | None, str]:
    """('My tab', 'A1:B2') from "'My tab'!A1:B2"; a bare name is a whole tab."""
    if text.startswith("'"):
        end = 1
        while True:
            end = text.index("'", end)
            if text[end + 1:end + 2] == "'":
                end += 2
                continue
            break
        title = text[1:end].replace("''", "'")
        rest = text[end + 1:]
        return title, rest[1:] if rest.startswith("!") else ""
    if "!" in text:
        title, _, cells = text.rpartition("!")
        return title, cells
    return text, ""


CELLS = re.compile(r"([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?")


@dataclass
class Area:
    """Half-open 0-based rectangle on one sheet; None end = to the grid's end."""

    sheet: Sheet
    top: int
    left: int
    bottom: int | None
    right: int | None

    def clipped(self) -> tuple[int, int, int, int]:
        return (self.top, self.left, min(self.bottom or self.sheet.rows, self.sheet.rows),
                min(self.right or self.sheet.cols, self.sheet.cols))

    def a1(self, bottom: int | None = None, right: int | None = None) -> str:
        top, left, b, r = self.clipped()
        b = bottom if bottom is not None else b
        r = right if right is not None else r
        corner = f"{letters(left)}{top + 1}"
        span = corner if (b - top, r - left) == (1, 1) else f"{corner}:{letters(r - 1)}{b}"
        return f"{quote_title(self.sheet.title)}!{span}"


# -- cell values ----------------------------------------------------------------------------

_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
               ast.Div: operator.truediv, ast.Pow: operator.pow, ast.USub: operator.neg,
               ast.UAdd: operator.pos}


def evaluate(formula: str) -> Any:
    """Plain arithmetic only (``=4/2`` -> 2.0); anything else reads as ``#N/A``."""
    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            return _ARITHMETIC[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _ARITHMETIC:
            return _ARITHMETIC[type(node.op)](walk(node.operand))
        raise ValueError(formula)
    try:
        return walk(ast.parse(formula[1:], mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError, TypeError):
        return "#N/A"


def serial(day: dt.date | dt.datetime) -> float:
    if isinstance(day, dt.datetime):
        return (day - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    return float((day - EPOCH).days)


def json_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() and abs(value) < 2 ** 53 else value


def format_number(value: float, number_format: dict | None) -> str:
    pattern = (number_format or {}).get("pattern", "")
    kind = (number_format or {}).get("type", "")
    if kind in ("DATE", "DATE_TIME") or re.search(r"yy|dd", pattern):
        moment = dt.datetime(1899, 12, 30) + dt.timedelta(days=value)
        out = pattern or "yyyy-mm-dd"
        for token, code in (("yyyy", "%Y"), ("mm", "%m"), ("dd", "%d"), ("hh", "%H"),
                            ("ss", "%S")):
            out = out.replace(token, code)
        return moment.strftime(out)
    if not pattern:
        return str(json_number(value)) if float(value).is_integer() else repr(float(value))
    prefix = "".join(re.findall(r'"([^"]*)"', pattern))
    digits = pattern.split(".")[1].count("0") if "." in pattern else 0
    number = value * 100 if "%" in pattern else value
    grouped = f"{number:,.{digits}f}" if "," in pattern else f"{number:.{digits}f}"
    return prefix + grouped + ("%" if "%" in pattern else "")


def parse_user_entered(text: str) -> tuple[Any, str | None, dict | None]:
    """(value, formula, number format) for text typed into the UI."""
    if text.startswith("'"):
        return text[1:], None, None  # a leading apostrophe keeps the rest as text
    if text.startswith("="):
        return evaluate(text), text, None
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE", None, None
    stripped = text.strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", stripped):
        return serial(dt.date.fromisoformat(
            "-".join(p.zfill(2) for p in stripped.split("-")))), None, DATE_FORMAT
    if re.fullmatch(r"-?[\d,]*\.?\d+%", stripped):
        return float(stripped[:-1].replace(",", "")) / 100, None, {"type": "PERCENT",
                                                                    "pattern": "0.00%"}
    try:
        return float(stripped.replace(",", "")) if stripped else text, None, None
    except ValueError:
        return text, None, None


# -- spreadsheet state ----------------------------------------------------------------------

@dataclass
class Sheet:
    sheet_id: int
    title: str
    rows: int = 1000
    cols: int = 26
    hidden: bool = False
    frozen_rows: int = 0
    frozen_cols: int = 0
    values: dict[tuple[int, int], Any] = field(default_factory=dict)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    extras: dict[tuple[int, int], dict] = field(default_factory=dict)  # format, note, rule
    widths: dict[int, int] = field(default_factory=dict)
    conditional_formats: list[dict] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    protected: list[dict] = field(default_factory=list)
    metadata: list[dict] = field(default_factory=list)

    def properties(self, index: int) -> dict:
        grid: dict[str, int] = {"rowCount": self.rows, "columnCount": self.cols}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_cols:
            grid["frozenColumnCount"] = self.frozen_cols
        props: dict[str, Any] = {"sheetId": self.sheet_id, "title": self.title, "index": index,
                                 "sheetType": "GRID", "gridProperties": grid}
        if self.hidden:
            props["hidden"] = True
        return props

    def shift_rows(self, at: int, count: int) -> None:
        """Rows from 0-based ``at`` move by ``count`` (negative: rows deleted)."""
        def moved(cells: dict) -> dict:
            out = {}
            for (r, c), v in cells.items():
                if r < at:
                    out[(r, c)] = v
                elif count > 0 or r >= at - count:
                    out[(r + count, c)] = v
            return out
        self.values, self.formulas, self.extras = map(moved, (self.values, self.formulas,
                                                               self.extras))
        self.rows += count

    def clear(self, top: int, left: int, bottom: int, right: int) -> None:
        for cells in (self.values, self.formulas):
            for key in [k for k in cells if top <= k[0] < bottom and left <= k[1] < right]:
                del cells[key]


@dataclass
class Call:
    """One request the emulator answered."""

    method: str
    kind: str  # get, values.batchGet, batchUpdate, values.batchUpdate, values.update, ...
    params: dict[str, list[str]]
    body: Any
    size: int  # bytes of URL and body
    status: int = 200


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


@dataclass(frozen=True)
class NetworkFault:
    """What happens to one answer on the wire: ``reset`` after part of the body, or ``drip``
    (one byte every DRIP_PAUSE seconds for ``seconds``, then a reset)."""

    how: str
    seconds: float = 0.0


DRIP_PAUSE = 0.05


# -- the emulator ---------------------------------------------------------------------------

class SheetsEmulator:
    """One spreadsheet served the way the Sheets API v4 serves it."""

    def __init__(self, spreadsheet_id: str = "emulated-key", *, title: str = "Pipeline",
                 base_url: str = BASE_URL, discovery: Path | None = DISCOVERY):
        self.spreadsheet_id = spreadsheet_id
        self.title = title
        self.base_url = base_url.rstrip("/")
        self.token_uri = TOKEN_URI
        self.discovery = Discovery(discovery)
        self.sheets: list[Sheet] = []
        self.spreadsheet_metadata: list[dict] = []
        self.calls: list[Call] = []
        self.token_calls: list[dict] = []
        self.hooks: list[Callable[[Call], None]] = []
        self.scheduled: list[tuple[int, bool, Callable[[SheetsEmulator], None]]] = []
        self.faults: list[Callable[[str, str], ApiError | Exception | None]] = []
        self.network_faults: list[Callable[[str, str], NetworkFault | None]] = []
        self.token_outages: list[int] = []  # statuses the token endpoint answers next
        self.latency = 0.0  # simulated seconds per request (counted, never slept)
        self.simulated_seconds = 0.0
        self.access = "write"  # or "read", "none"
        self.service_accounts: dict[str, Any] = {}  # email -> RSA public key
        self.refresh_tokens: dict[str, tuple[str, str]] = {}  # token -> client id, secret
        self.tokens: dict[str, str] = {}  # issued token -> scope
        self.caller = "worker@emulated-project.iam.gserviceaccount.com"
        self._next_id = 1_000_000_001

    # -- seeding and reading back (for tests) -------------------------------------------------

    def add_sheet(self, title: str, grid: list[list[Any]] | None = None, *,
                  rows: int | None = None, cols: int | None = None) -> int:
        """A tab holding ``grid`` (row 0 = sheet row 1), as if people had typed it."""
        grid = grid or []
        width = max((len(r) for r in grid), default=0)
        sheet = Sheet(0 if not self.sheets else self._new_id(), title,
                      rows or max(1000, len(grid)), cols or max(26, width))
        self.sheets.append(sheet)
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                self._store(sheet, r, c, value, "RAW")
        return sheet.sheet_id

    def sheet(self, title: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        raise KeyError(title)

    def grid(self, title: str) -> list[list[Any]]:
        """The tab's values as UNFORMATTED_VALUE reads them, trailing empties trimmed."""
        sheet = self.sheet(title)
        return self._rows(Area(sheet, 0, 0, None, None), "UNFORMATTED_VALUE", "SERIAL_NUMBER")

    def set_cell(self, title: str, row: int, col: int, value: Any) -> None:
        """A person types ``value`` into 1-based (row, col)."""
        self._store(self.sheet(title), row - 1, col - 1, value, "USER_ENTERED")

    def insert_rows(self, title: str, at: int, count: int = 1,
                    values: list[list[Any]] | None = None) -> None:
        """A person inserts ``count`` rows before 1-based row ``at`` (and types ``values``)."""
        sheet = self.sheet(title)
        sheet.shift_rows(at - 1, count)
        for r, row in enumerate(values or []):
            for c, value in enumerate(row):
                self._store(sheet, at - 1 + r, c, value, "USER_ENTERED")

    def delete_rows(self, title: str, at: int, count: int = 1) -> None:
        self.sheet(title).shift_rows(at - 1, -count)

    def sort_rows(self, title: str, first_row: int, by_col: int, *, reverse: bool = False) -> None:
        """A person sorts rows ``first_row``.. by column ``by_col`` (1-based), as Data > Sort."""
        sheet = self.sheet(title)
        last = max((r for r, _ in sheet.values), default=-1) + 1
        order = sorted(range(first_row - 1, last),
                       key=lambda r: str(sheet.values.get((r, by_col - 1), "")), reverse=reverse)
        moves = {old: first_row - 1 + new for new, old in enumerate(order)}
        for name in ("values", "formulas", "extras"):
            cells = getattr(sheet, name)
            setattr(sheet, name, {(moves.get(r, r), c): v for (r, c), v in cells.items()})

    def fail(self, status: int, *, times: int = 1, retry_after: str | None = None,
             kind: str | None = None) -> None:
        """The next ``times`` requests (of ``kind``, if given) answer ``status``."""
        left = [times]

        def fault(method: str, call_kind: str) -> ApiError | None:
            if left[0] <= 0 or (kind is not None and call_kind != kind):
                return None
            left[0] -= 1
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            return rate_limited(headers) if status == 429 else ApiError(status, headers=headers)
        self.faults.append(fault)

    def drop_connections(self, times: int = 1) -> None:
        left = [times]

        def fault(method: str, kind: str) -> Exception | None:
            if left[0] <= 0:
                return None
            left[0] -= 1
            return requests.ConnectionError("Connection reset by peer (emulated)")
        self.faults.append(fault)

    def at_request(self, number: int, action: Callable[[SheetsEmulator], None], *,
                   after: bool = False) -> None:
        """Call ``action(emulator)`` just before (or after) answering the ``number``-th Sheets
        request from now (1 = the next one; token requests do not count).

        Before: a person's edit lands between the request's arrival and its effect, or a
        fault registered there (``fail``, ``drop_connections``) answers that very request.
        After: the request has taken effect; an exception ``action`` raises (a
        ``requests.ConnectionError``) loses the answer on its way back.
        """
        self.scheduled.append((len(self.calls) + number, after, action))

    def _run_scheduled(self, after: bool) -> None:
        due = [s for s in self.scheduled if s[0] == len(self.calls) and s[1] == after]
        for item in due:
            self.scheduled.remove(item)
        for _, _, action in due:
            action(self)

    def reset_mid_body(self, times: int = 1, *, kind: str | None = None) -> None:
        """The next ``times`` answers (to ``kind``, if given; "token" is the token endpoint)
        are carried out, then cut by a connection reset after their headers and half their
        body."""
        self._network(NetworkFault("reset"), times, kind)

    def slow_drip(self, times: int = 1, *, kind: str | None = None,
                  seconds: float = 3.0) -> None:
        """The next ``times`` answers are carried out, then trickled a byte at a time for
        ``seconds`` (slower than any deadline of a test) and cut."""
        self._network(NetworkFault("drip", seconds), times, kind)

    def _network(self, fault: NetworkFault, times: int, kind: str | None) -> None:
        left = [times]

        def network(method: str, call_kind: str) -> NetworkFault | None:
            if left[0] <= 0 or (kind is not None and call_kind != kind):
                return None
            left[0] -= 1
            return fault
        self.network_faults.append(network)

    def network_fault(self, request: requests.PreparedRequest) -> NetworkFault | None:
        """The network fault due for the answer to ``request`` (used up), if any."""
        if request.url.startswith(self.token_uri):
            kind = "token"
        else:
            path = urlsplit(request.url).path[len(urlsplit(self.base_url).path):]
            kind = self._route(request.method.upper(), path)[0]
        for fault in self.network_faults:
            outcome = fault(request.method.upper(), kind)
            if outcome is not None:
                return outcome
        return None

    def fail_token(self, status: int, *, times: int = 1) -> None:
        """The token endpoint answers the next ``times`` exchanges with ``status``."""
        self.token_outages += [status] * times

    def count(self, *kinds: str) -> int:
        return sum(1 for c in self.calls if not kinds or c.kind in kinds)

    @property
    def bytes_sent(self) -> int:
        return sum(c.size for c in self.calls)

    # -- credentials -------------------------------------------------------------------------

    def trust_service_account(self, email: str, public_key: Any) -> None:
        self.service_accounts[email] = public_key

    def trust_refresh_token(self, token: str, client_id: str, client_secret: str) -> None:
        self.refresh_tokens[token] = (client_id, client_secret)

    @property
    def requires_auth(self) -> bool:
        return bool(self.service_accounts or self.refresh_tokens)

    # -- transport -----------------------------------------------------------------------------

    def adapter(self) -> EmulatorAdapter:
        return EmulatorAdapter(self)

    def session(self) -> requests.Session:
        """A session answering the Sheets host and the token host from here; any other host
        gets an error instead of the network."""
        session = requests.Session()
        adapter = self.adapter()
        for prefix in ("https://", "http://", self.base_url + "/",
                       self.token_uri.rsplit("/", 1)[0] + "/"):
            session.mount(prefix, adapter)
        return session

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        """Answer over HTTP on a free 127.0.0.1 port for the duration; yields the base URL.

        The Sheets API and the token endpoint move there (credentials files made afterwards
        name it as their ``token_uri``); requests are answered one at a time, as the adapter
        answers them.
        """
        lock = threading.Lock()
        stopping = threading.Event()
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = requests.Request(
                    self.command, emulator.base_url + self.path, data=self.rfile.read(length),
                    headers=dict(self.headers.items())).prepare()
                with lock:
                    status, headers, payload = emulator.handle(request)
                    network = emulator.network_fault(request)
                body = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status, REASONS.get(status))
                for name, value in {"Content-Type": "application/json; charset=UTF-8",
                                    **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if network is None:
                    self.wfile.write(body)
                    return
                with contextlib.suppress(OSError):  # the client may have gone already
                    if network.how == "reset":
                        self.wfile.write(body[:len(body) // 2])
                    else:
                        self._drip(body, network.seconds)
                self._reset()

            def _drip(self, body: bytes, seconds: float) -> None:
                """A byte every DRIP_PAUSE seconds, for at most ``seconds``."""
                end = time.monotonic() + seconds
                for index in range(len(body) - 1):
                    if time.monotonic() >= end or stopping.wait(DRIP_PAUSE):
                        return
                    self.wfile.write(body[index:index + 1])

            def _reset(self) -> None:
                """Close with a TCP reset, as a dropped connection looks to the client."""
                self.close_connection = True
                with contextlib.suppress(OSError):  # already gone: nothing left to cut
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                self.connection.close()

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        saved = self.base_url, self.token_uri
        self.base_url = f"http://127.0.0.1:{server.server_port}"
        self.token_uri = self.base_url + "/token"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self.base_url
        finally:
            stopping.set()
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
            self.base_url, self.token_uri = saved

    def handle(self, request: requests.PreparedRequest) -> tuple[int, dict, Any]:
        url = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        if request.url.startswith(self.token_uri):
            return self._token(parse_qs(body.decode()))
        if not request.url.startswith(self.base_url + "/"):
            return 400, {}, ApiError(400, f"emulator: no service at {url.scheme}://"
                                     f"{url.netloc} (only {self.base_url})").body()
        params = parse_qs(url.query, keep_blank_values=True)
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        method = request.method.upper()
        route = url.path[len(urlsplit(self.base_url).path):]
        kind, handler = self._route(method, route)
        call = Call(method, kind, params, payload, len(body) + len(request.url))
        self.calls.append(call)
        self.simulated_seconds += self.latency
        self._run_scheduled(after=False)
        try:
            for fault in self.faults:
                outcome = fault(method, kind)
                if isinstance(outcome, ApiError):
                    raise outcome
                if isinstance(outcome, Exception):
                    call.status = 599
                    raise outcome
            self._authorize(request, method)
            if body and payload is None:
                raise bad(f"Invalid JSON payload received. Unexpected token.\n{body[:40]!r}")
            status, answer = 200, handler(params, payload)
            headers: dict = {}
        except ApiError as error:
            status, answer, headers = error.code, error.body(), error.headers
        call.status = status
        for hook in list(self.hooks):
            hook(call)
        self._run_scheduled(after=True)
        return status, headers, answer

    def _authorize(self, request: requests.PreparedRequest, method: str) -> None:
        if self.requires_auth:
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
                raise ApiError(401)
            if SCOPE not in self.tokens[auth[7:]].split():
                raise ApiError(403, "Request had insufficient authentication scopes.")
        if self.access == "none" or (self.access == "read" and method != "GET"):
            raise ApiError(403)

    def _route(self, method: str, path: str) -> tuple[str, Callable]:
        match = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
        if not match:
            return "unknown", self._unknown(path)
        if unquote(match.group(1)) != self.spreadsheet_id:
            return "missing", self._missing
        rest = match.group(2)
        table = {("GET", ""): ("get", self._get),
                 ("POST", ":batchUpdate"): ("batchUpdate", self._batch_update),
                 ("GET", "/values:batchGet"): ("values.batchGet", self._values_batch_get),
                 ("POST", "/values:batchUpdate"): ("values.batchUpdate",
                                                   self._values_batch_update),
                 ("POST", "/values:batchClear"): ("values.batchClear", self._values_batch_clear)}
        if (method, rest) in table:
            return table[(method, rest)]
        value = re.fullmatch(r"/values/([^:]+)(:clear)?", rest)
        if value:
            a1 = unquote(value.group(1))
            if method == "GET" and not value.group(2):
                return "values.get", lambda p, b: self._values_get(a1, p)
            if method == "PUT" and not value.group(2):
                return "values.update", lambda p, b: self._values_update(a1, p, b)
            if method == "POST" and value.group(2):
                return "values.clear", lambda p, b: self._values_clear(a1, b)
        return "unknown", self._unknown(path)

    @staticmethod
    def _unknown(path: str) -> Callable:
        def answer(params: dict, body: Any) -> dict:
            raise ApiError(404, f"emulator: no method at {path}")
        return answer

    @staticmethod
    def _missing(params: dict, body: Any) -> dict:
        raise ApiError(404)

    # -- token endpoint -------------------------------------------------------------------------

    def _token(self, form: dict[str, list[str]]) -> tuple[int, dict, Any]:
        grant = form.get("grant_type", [""])[0]
        self.token_calls.append({k: v[0] for k, v in form.items()})
        if self.token_outages:
            status = self.token_outages.pop(0)
            return status, {}, {"error": "rate_limit_exceeded" if status == 429 else
                                "temporarily_unavailable",
                                "error_description": MESSAGES.get(status, "Try again later.")}
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            claims = self._verified_claims(form.get("assertion", [""])[0])
            if claims is None:
                return 400, {}, {"error": "invalid_grant", "error_description": "Invalid JWT "
                                 "Signature."}
            scope = claims.get("scope", "")
        elif grant == "refresh_token":
            known = self.refresh_tokens.get(form.get("refresh_token", [""])[0])
            if known != (form.get("client_id", [""])[0], form.get("client_secret", [""])[0]):
                return 400, {}, {"error": "invalid_grant", "error_description": "Bad Request"}
            scope = form.get("scope", [SCOPE])[0]
        else:
            return 400, {}, {"error": "unsupported_grant_type"}
        token = f"ya29.emulated-{len(self.tokens) + 1}"
        self.tokens[token] = scope
        answer = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        if grant == "refresh_token":
            answer["scope"] = scope
        return 200, {}, answer

    def _verified_claims(self, assertion: str) -> dict | None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        def unb64(part: str) -> bytes:
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        try:
            header, payload, signature = assertion.split(".")
            claims = json.loads(unb64(payload))
            key = self.service_accounts[claims["iss"]]
            key.verify(unb64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(),
                       hashes.SHA256())
        except (ValueError, KeyError, InvalidSignature):
            return None
        # google-auth signs for Google's token audience whatever the token_uri; Google agrees
        if claims.get("aud") not in (self.token_uri, "https://oauth2.googleapis.com/token") or \
                claims.get("exp", 0) < time.time():
            return None
        self.caller = claims["iss"]
        return claims

    # -- values ---------------------------------------------------------------------------------

    def _area(self, text: str) -> Area:
        title, cells = split_range(text)
        if not cells and title is not None and self.sheets and \
                not any(s.title == title for s in self.sheets) and \
                CELLS.fullmatch(title) and any(ch.isdigit() for ch in title):
            title, cells = self.sheets[0].title, title  # "A1:B2" means the first sheet
        try:
            sheet = self.sheet(title)
        except KeyError:
            raise bad(f"Unable to parse range: {text}") from None
        match = CELLS.fullmatch(cells)
        if cells and not match:
            raise bad(f"Unable to parse range: {text}")
        c1, r1, c2, r2 = match.groups() if cells else ("", "", None, None)
        top = int(r1) - 1 if r1 else 0
        left = col_index(c1) if c1 else 0
        if c2 is None:  # one cell, one column or one row
            bottom = top + 1 if r1 else None
            right = left + 1 if c1 else None
        else:
            bottom = int(r2) if r2 else None
            right = col_index(c2) + 1 if c2 else None
        if not cells:
            bottom = right = None
        return Area(sheet, top, left, bottom, right)

    def _cell(self, sheet: Sheet, key: tuple[int, int], render: str, dates: str) -> Any:
        if render == "FORMULA" and key in sheet.formulas:
            return sheet.formulas[key]
        value = sheet.values.get(key)
        if value is None or isinstance(value, str | bool):
            return ("TRUE" if value else "FALSE") if isinstance(value, bool) and \
                render == "FORMATTED_VALUE" else value
        number_format = sheet.extras.get(key, {}).get("userEnteredFormat", {}).get(
            "numberFormat")
        if render == "FORMATTED_VALUE":
            return format_number(value, number_format)
        if dates == "FORMATTED_STRING" and (number_format or {}).get("type") in (
                "DATE", "DATE_TIME", "TIME"):
            return format_number(value, number_format)
        return json_number(value)

    def _rows(self, area: Area, render: str, dates: str) -> list[list[Any]]:
        top, left, bottom, right = area.clipped()
        sheet = area.sheet
        used = [k for k in sheet.values if top <= k[0] < bottom and left <= k[1] < right]
        if not used:
            return []
        last_row = max(r for r, _ in used)
        rows: list[list[Any]] = [[] for _ in range(last_row - top + 1)]
        by_row: dict[int, list[int]] = {}
        for r, c in used:
            by_row.setdefault(r, []).append(c)
        for r, cols in by_row.items():
            rows[r - top] = [self._cell(sheet, (r, c), render, dates) if (r, c) in sheet.values
                             else "" for c in range(left, max(cols) + 1)]
        return rows

    def _value_range(self, text: str, params: dict) -> dict:
        area = self._area(text)
        render = params.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
        dates = params.get("dateTimeRenderOption", ["SERIAL_NUMBER"])[0]
        major = params.get("majorDimension", ["ROWS"])[0]
        rows = self._rows(area, render, dates)
        answer: dict[str, Any] = {"range": area.a1(), "majorDimension": major}
        if rows and major == "COLUMNS":
            width = max(len(r) for r in rows)
            columns = [[r[c] if c < len(r) else "" for r in rows] for c in range(width)]
            rows = [col[:max((i + 1 for i, v in enumerate(col) if v != ""), default=0)]
                    for col in columns]
        if rows:
            answer["values"] = rows
        return answer

    def _values_get(self, text: str, params: dict) -> dict:
        return self._value_range(text, params)

    def _values_batch_get(self, params: dict, body: Any) -> dict:
        return {"spreadsheetId": self.spreadsheet_id,
                "valueRanges": [self._value_range(r, params) for r in params.get("ranges", [])]}

    def _store(self, sheet: Sheet, r: int, c: int, value: Any, option: str) -> None:
        key = (r, c)
        sheet.formulas.pop(key, None)
        if value is None or value == "":
            sheet.values.pop(key, None)
            return
        if isinstance(value, dt.date):
            sheet.values[key] = serial(value)
            sheet.extras.setdefault(key, {}).setdefault("userEnteredFormat", {})[
                "numberFormat"] = DATE_FORMAT
            return
        if isinstance(value, str) and option == "USER_ENTERED":
            parsed, formula, number_format = parse_user_entered(value)
            sheet.values[key] = parsed
            if formula:
                sheet.formulas[key] = formula
            if number_format:
                sheet.extras.setdefault(key, {}).setdefault("userEnteredFormat", {})[
                    "numberFormat"] = number_format
            return
        if isinstance(value, bool | str):
            sheet.values[key] = value
        elif isinstance(value, int | float):
            sheet.values[key] = float(value)
        else:
            raise bad(f"Invalid values: {json.dumps(value)}")

    def _write(self, index: int | None, value_range: dict, option: str,
               text: str | None = None) -> dict:
        text = text if text is not None else value_range.get("range", "")
        area = self._area(text)
        sheet = area.sheet
        if (area.bottom, area.right) == (area.top + 1, area.left + 1):
            area = Area(sheet, area.top, area.left, None, None)  # one cell: where writing starts
        rows = value_range.get("values") or []
        if value_range.get("majorDimension") == "COLUMNS":
            height = max((len(c) for c in rows), default=0)
            rows = [[c[r] if r < len(c) else None for c in rows] for r in range(height)]
        height, width = len(rows), max((len(r) for r in rows), default=0)
        prefix = f"Invalid data[{index}]: " if index is not None else ""
        if area.bottom is not None and area.top + height > area.bottom:
            raise bad(f"{prefix}Requested writing within range [{text}], but tried writing "
                      f"to row [{area.top + height}]")
        if area.right is not None and area.left + width > area.right:
            raise bad(f"{prefix}Requested writing within range [{text}], but tried writing "
                      f"to column [{letters(area.left + width - 1)}]")
        if area.top + height > sheet.rows or area.left + width > sheet.cols:
            corner = f"{letters(min(area.left + width, sheet.cols + 1) - 1)}" \
                     f"{area.top + height}"
            raise bad(f"{prefix}Range ({quote_title(sheet.title)}!{corner}) exceeds grid "
                      f"limits. Max rows: {sheet.rows}, max columns: {sheet.cols}")
        return {"area": area, "rows": rows, "option": option, "height": height, "width": width}

    def _commit(self, write: dict) -> dict:
        area, rows = write["area"], write["rows"]
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    self._store(area.sheet, area.top + r, area.left + c, value, write["option"])
        height, width = write["height"], write["width"]
        cells = sum(1 for row in rows for v in row if v is not None)
        answer = {"spreadsheetId": self.spreadsheet_id,
                  "updatedRange": area.a1(area.top + height, area.left + width),
                  "updatedRows": sum(1 for row in rows if any(v is not None for v in row)),
                  "updatedColumns": width, "updatedCells": cells}
        return answer if height and width else {"spreadsheetId": self.spreadsheet_id}

    def _input_option(self, value: Any) -> str:
        if value not in ("RAW", "USER_ENTERED"):
            raise bad("'valueInputOption' is required but not specified" if not value
                      else f"Invalid value at 'value_input_option', {json.dumps(value)}")
        return value

    def _values_update(self, text: str, params: dict, body: Any) -> dict:
        self.discovery.check(body, "ValueRange")
        option = self._input_option(params.get("valueInputOption", [None])[0])
        return self._commit(self._write(None, body or {}, option, text))

    def _values_batch_update(self, params: dict, body: Any) -> dict:
        self.discovery.check(body, "BatchUpdateValuesRequest")
        body = body or {}
        option = self._input_option(body.get("valueInputOption"))
        writes = [self._write(i, item, option) for i, item in enumerate(body.get("data") or [])]
        responses = [self._commit(w) for w in writes]  # all checked before any is applied
        done = [r for r in responses if "updatedCells" in r]
        answer = {"spreadsheetId": self.spreadsheet_id,
                  "totalUpdatedRows": sum(r["updatedRows"] for r in done),
                  "totalUpdatedColumns": sum(r["updatedColumns"] for r in done),
                  "totalUpdatedCells": sum(r["updatedCells"] for r in done),
                  "totalUpdatedSheets": len({w["area"].sheet.sheet_id for w in writes}),
                  "responses": responses}
        return {k: v for k, v in answer.items() if v or k in ("spreadsheetId", "responses")}

    def _values_clear(self, text: str, body: Any) -> dict:
        self.discovery.check(body, "ClearValuesRequest")
        area = self._area(text)
        area.sheet.clear(*area.clipped())
        return {"spreadsheetId": self.spreadsheet_id, "clearedRange": area.a1()}

    def _values_batch_clear(self, params: dict, body: Any) -> dict:
        self.discovery.check(body, "BatchClearValuesRequest")
        areas = [self._area(r) for r in (body or {}).get("ranges", [])]
        for area in areas:
            area.sheet.clear(*area.clipped())
        return {"spreadsheetId": self.spreadsheet_id, "clearedRanges": [a.a1() for a in areas]}

    # -- spreadsheets.get -------------------------------------------------------------------------

    def resource(self, ranges: list[str] | None = None, grid_data: bool = False) -> dict:
        sheets = []
        wanted: dict[int, list[Area]] = {}
        for text in ranges or []:
            area = self._area(text)
            wanted.setdefault(area.sheet.sheet_id, []).append(area)
        for index, sheet in enumerate(self.sheets):
            if ranges and sheet.sheet_id not in wanted:
                continue
            entry: dict[str, Any] = {"properties": sheet.properties(index)}
            for key, items in (("conditionalFormats", sheet.conditional_formats),
                               ("charts", sheet.charts), ("protectedRanges", sheet.protected),
                               ("developerMetadata", sheet.metadata)):
                if items:
                    entry[key] = strip_zero_sheet(copy.deepcopy(items))
            if grid_data:
                areas = wanted.get(sheet.sheet_id) or [Area(sheet, 0, 0, None, None)]
                entry["data"] = [self._grid_data(a) for a in areas]
            sheets.append(entry)
        answer: dict[str, Any] = {
            "spreadsheetId": self.spreadsheet_id,
            "properties": {"title": self.title, "locale": "en_US", "autoRecalc": "ON_CHANGE",
                           "timeZone": "Etc/GMT", "defaultFormat": DEFAULT_FORMAT,
                           "spreadsheetTheme": THEME},
            "sheets": sheets}
        if self.spreadsheet_metadata:
            answer["developerMetadata"] = copy.deepcopy(self.spreadsheet_metadata)
        answer["spreadsheetUrl"] = \
            f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"
        return answer

    def _grid_data(self, area: Area) -> dict:
        top, left, bottom, right = area.clipped()
        sheet = area.sheet
        keys = [k for k in (*sheet.values, *sheet.extras)
                if top <= k[0] < bottom and left <= k[1] < right]
        last_row = max((r for r, _ in keys), default=top - 1)
        rows = []
        for r in range(top, last_row + 1):
            cells = [self._cell_data(sheet, (r, c)) for c in range(left, right)]
            while cells and not cells[-1]:
                cells.pop()
            rows.append({"values": cells} if cells else {})
        data: dict[str, Any] = {"rowMetadata": [{"pixelSize": 21}] * (bottom - top),
                                "columnMetadata": [{"pixelSize": sheet.widths.get(c, 100)}
                                                   for c in range(left, right)]}
        if top:
            data["startRow"] = top
        if left:
            data["startColumn"] = left
        if rows:
            data["rowData"] = rows
        return data

    def _cell_data(self, sheet: Sheet, key: tuple[int, int]) -> dict:
        cell: dict[str, Any] = {}
        value = sheet.values.get(key)
        if value is not None:
            kind = {bool: "boolValue", str: "stringValue"}.get(type(value), "numberValue")
            shown = json_number(value) if kind == "numberValue" else value
            cell["userEnteredValue"] = {"formulaValue": sheet.formulas[key]} \
                if key in sheet.formulas else {kind: shown}
            cell["effectiveValue"] = {kind: shown}
            cell["formattedValue"] = self._cell(sheet, key, "FORMATTED_VALUE", "SERIAL_NUMBER")
        cell.update(copy.deepcopy(sheet.extras.get(key, {})))
        if "userEnteredFormat" in cell:
            cell["effectiveFormat"] = cell["userEnteredFormat"]
        return cell

    def _get(self, params: dict, body: Any) -> dict:
        grid = params.get("includeGridData", ["false"])[0].lower() == "true"
        mask = parse_mask(params["fields"][0]) if params.get("fields") else None
        if mask is not None:
            self.discovery.check_mask(mask)
            grid = "data" in mask.get("sheets", {})
        return prune(self.resource(params.get("ranges"), grid), mask or {})

    # -- spreadsheets.batchUpdate -----------------------------------------------------------------

    def _batch_update(self, params: dict, body: Any) -> dict:
        self.discovery.check(body, "BatchUpdateSpreadsheetRequest")
        saved = copy.deepcopy((self.sheets, self.spreadsheet_metadata, self._next_id))
        replies = []
        try:
            for index, request in enumerate((body or {}).get("requests") or []):
                kinds = [k for k, v in request.items() if v is not None]
                if len(kinds) != 1:
                    raise bad(f"Invalid requests[{index}]: exactly one kind of request is "
                              "allowed")
                kind = kinds[0]
                handler = getattr(self, f"_r_{snake(kind)}", None)
                if handler is None:
                    raise bad(f"Invalid requests[{index}]: the emulator does not implement "
                              f"{kind}")
                try:
                    reply = handler(request[kind])
                except ApiError as error:
                    raise bad(f"Invalid requests[{index}].{kind}: {error.message}") from None
                replies.append({kind: reply} if reply is not None else {})
        except ApiError:
            self.sheets, self.spreadsheet_metadata, self._next_id = saved
            raise
        answer: dict[str, Any] = {"spreadsheetId": self.spreadsheet_id, "replies": replies}
        return answer

    def _new_id(self) -> int:
        self._next_id = (self._next_id * 48271) % 2147483647
        return self._next_id

    def _by_id(self, sheet_id: int | None) -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == (sheet_id or 0):
                return sheet
        raise ApiError(400, f"No grid with id: {sheet_id or 0}")

    def _grid_range(self, grid_range: dict) -> tuple[Sheet, int, int, int, int]:
        sheet = self._by_id(grid_range.get("sheetId"))
        top, left = grid_range.get("startRowIndex", 0), grid_range.get("startColumnIndex", 0)
        bottom = grid_range.get("endRowIndex", sheet.rows)
        right = grid_range.get("endColumnIndex", sheet.cols)
        if bottom > sheet.rows or right > sheet.cols or top < 0 or left < 0:
            raise ApiError(400, f"Range ({quote_title(sheet.title)}!{letters(right - 1)}"
                           f"{bottom}) exceeds grid limits. Max rows: {sheet.rows}, "
                           f"max columns: {sheet.cols}")
        return sheet, top, left, bottom, right

    def _check_title(self, title: str, skip: Sheet | None = None) -> None:
        if any(s.title.casefold() == title.casefold() and s is not skip for s in self.sheets):
            raise ApiError(400, f'A sheet with the name "{title}" already exists. Please '
                           "enter another name.")

    def _check_cells(self, extra: int) -> None:
        if sum(s.rows * s.cols for s in self.sheets) + extra > 10_000_000:
            raise ApiError(400, "This action would increase the number of cells in the "
                           "workbook above the limit of 10000000 cells.")

    def _r_add_sheet(self, request: dict) -> dict:
        props = request.get("properties") or {}
        title = props.get("title") or f"Sheet{len(self.sheets) + 1}"
        self._check_title(title)
        sheet_id = props.get("sheetId")
        if sheet_id is not None and any(s.sheet_id == sheet_id for s in self.sheets):
            raise ApiError(400, f"A sheet with the id {sheet_id} already exists.")
        grid = props.get("gridProperties") or {}
        sheet = Sheet(sheet_id if sheet_id is not None else self._new_id(), title,
                      grid.get("rowCount", 1000), grid.get("columnCount", 26),
                      bool(props.get("hidden")), grid.get("frozenRowCount", 0),
                      grid.get("frozenColumnCount", 0))
        if sheet.cols > 18278:
            raise ApiError(400, "This action would increase the number of columns above the "
                           "limit of 18278.")
        self._check_cells(sheet.rows * sheet.cols)
        index = props.get("index", len(self.sheets))
        self.sheets.insert(index, sheet)
        return {"properties": sheet.properties(self.sheets.index(sheet))}

    def _r_delete_sheet(self, request: dict) -> None:
        sheet = self._by_id(request.get("sheetId"))
        if len(self.sheets) == 1:
            raise ApiError(400, "You can't remove all the sheets in a document.")
        self.sheets.remove(sheet)

    def _r_update_sheet_properties(self, request: dict) -> None:
        props = request.get("properties") or {}
        if not request.get("fields"):
            raise ApiError(400, "At least one field must be specified.")
        sheet = self._by_id(props.get("sheetId"))
        current = sheet.properties(self.sheets.index(sheet))
        masked_merge(current, props, request["fields"])
        grid = current.get("gridProperties", {})
        rows, cols = grid.get("rowCount", sheet.rows), grid.get("columnCount", sheet.cols)
        self._check_cells(rows * cols - sheet.rows * sheet.cols)
        if current.get("title") != sheet.title:
            self._check_title(current["title"], sheet)
        if current.get("hidden") and all(s.hidden or s is sheet for s in self.sheets):
            raise ApiError(400, "You can't hide all the sheets in a document.")
        if rows < sheet.rows or cols < sheet.cols:
            for cells in (sheet.values, sheet.formulas, sheet.extras):
                for key in [k for k in cells if k[0] >= rows or k[1] >= cols]:
                    del cells[key]
        sheet.title, sheet.rows, sheet.cols = current.get("title", sheet.title), rows, cols
        sheet.hidden = bool(current.get("hidden"))
        sheet.frozen_rows = grid.get("frozenRowCount", 0)
        sheet.frozen_cols = grid.get("frozenColumnCount", 0)

    def _r_append_dimension(self, request: dict) -> None:
        sheet = self._by_id(request.get("sheetId"))
        length = int(request.get("length", 0))
        if request.get("dimension") == "ROWS":
            self._check_cells(length * sheet.cols)
            sheet.rows += length
        elif request.get("dimension") == "COLUMNS":
            if sheet.cols + length > 18278:
                raise ApiError(400, "This action would increase the number of columns above "
                               "the limit of 18278.")
            self._check_cells(length * sheet.rows)
            sheet.cols += length
        else:
            raise ApiError(400, "dimension must be ROWS or COLUMNS")

    def _dimension(self, request: dict) -> tuple[Sheet, str, int, int]:
        span = request.get("range") or {}
        sheet = self._by_id(span.get("sheetId"))
        return sheet, span.get("dimension"), span.get("startIndex", 0), span.get("endIndex", 0)

    def _r_insert_dimension(self, request: dict) -> None:
        sheet, dimension, start, end = self._dimension(request)
        if dimension != "ROWS":
            raise ApiError(400, "the emulator inserts rows only")
        sheet.shift_rows(start, end - start)

    def _r_delete_dimension(self, request: dict) -> None:
        sheet, dimension, start, end = self._dimension(request)
        if dimension != "ROWS":
            raise ApiError(400, "the emulator deletes rows only")
        sheet.shift_rows(start, start - end)

    def _r_update_dimension_properties(self, request: dict) -> None:
        sheet, dimension, start, end = self._dimension(request)
        if not request.get("fields"):
            raise ApiError(400, "At least one field must be specified.")
        size = (request.get("properties") or {}).get("pixelSize")
        if dimension == "COLUMNS" and size is not None:
            for col in range(start, min(end, sheet.cols)):
                sheet.widths[col] = size

    def _r_repeat_cell(self, request: dict) -> None:
        if not request.get("fields"):
            raise ApiError(400, "At least one field must be specified.")
        sheet, top, left, bottom, right = self._grid_range(request.get("range") or {})
        cell = request.get("cell") or {}
        for r in range(top, bottom):
            for c in range(left, right):
                extras = copy.deepcopy(sheet.extras.get((r, c), {}))
                masked_merge(extras, cell, request["fields"])
                if "userEnteredFormat" in extras:
                    extras["userEnteredFormat"] = with_twins(extras["userEnteredFormat"])
                if extras:
                    sheet.extras[(r, c)] = extras
                else:
                    sheet.extras.pop((r, c), None)

    def _r_set_data_validation(self, request: dict) -> None:
        sheet, top, left, bottom, right = self._grid_range(request.get("range") or {})
        rule = request.get("rule")
        for r in range(top, bottom):
            for c in range(left, right):
                extras = dict(sheet.extras.get((r, c), {}))
                if rule:
                    extras["dataValidation"] = copy.deepcopy(rule)
                else:
                    extras.pop("dataValidation", None)
                sheet.extras[(r, c)] = extras

    def _r_add_conditional_format_rule(self, request: dict) -> None:
        rule = copy.deepcopy(request.get("rule") or {})
        ranges = rule.get("ranges") or []
        if not ranges:
            raise ApiError(400, "At least one range must be specified.")
        sheets = {self._grid_range(r)[0].sheet_id for r in ranges}
        if len(sheets) != 1:
            raise ApiError(400, "All ranges must be on the same sheet.")
        for part in ("booleanRule", "gradientRule"):
            if part in rule and "format" in rule[part]:
                rule[part]["format"] = with_twins(rule[part]["format"])
        sheet = self._by_id(sheets.pop())
        sheet.conditional_formats.insert(request.get("index", 0), rule)

    def _r_delete_conditional_format_rule(self, request: dict) -> dict:
        sheet = self._by_id(request.get("sheetId"))
        index = request.get("index", 0)
        if not 0 <= index < len(sheet.conditional_formats):
            raise ApiError(400, f"No conditional format on sheet {sheet.sheet_id} at index "
                           f"{index}")
        return {"rule": strip_zero_sheet(sheet.conditional_formats.pop(index))}

    def _r_add_chart(self, request: dict) -> dict:
        chart = copy.deepcopy(request.get("chart") or {})
        anchor = ((chart.get("position") or {}).get("overlayPosition") or {}).get(
            "anchorCell") or {}
        sheet = self._by_id(anchor.get("sheetId"))
        chart["chartId"] = chart.get("chartId") or self._new_id()
        chart.setdefault("spec", {})["hiddenDimensionStrategy"] = chart["spec"].get(
            "hiddenDimensionStrategy", "SKIP_HIDDEN_ROWS_AND_COLUMNS")
        overlay = chart["position"]["overlayPosition"]
        overlay.setdefault("widthPixels", 600)
        overlay.setdefault("heightPixels", 371)
        sheet.charts.append(chart)
        return {"chart": strip_zero_sheet(copy.deepcopy(chart))}

    def _r_delete_embedded_object(self, request: dict) -> None:
        self._remove("charts", "chartId", request.get("objectId"), "No object with id")

    def _remove(self, kind: str, key: str, wanted: Any, missing: str) -> None:
        """Drop the item of ``sheet.<kind>`` whose ``key`` is ``wanted``, as Google does."""
        for sheet in self.sheets:
            for item in getattr(sheet, kind):
                if item[key] == wanted:
                    getattr(sheet, kind).remove(item)
                    return
        raise ApiError(400, f"{missing} {wanted}")

    def _r_add_protected_range(self, request: dict) -> dict:
        protected = copy.deepcopy(request.get("protectedRange") or {})
        protected = {k: v for k, v in protected.items() if v is not None}
        sheet = self._grid_range(protected.get("range") or {})[0]
        protected["protectedRangeId"] = self._new_id()
        protected["requestingUserCanEdit"] = True
        reply = {**protected, "editors": {}}
        protected["editors"] = {"users": [self.caller]}
        sheet.protected.append(protected)
        return {"protectedRange": strip_zero_sheet(reply)}

    def _r_delete_protected_range(self, request: dict) -> None:
        self._remove("protected", "protectedRangeId", request.get("protectedRangeId"),
                     "No protected range with id:")

    def _metadata_places(self) -> Iterable[list[dict]]:
        yield self.spreadsheet_metadata
        for sheet in self.sheets:
            yield sheet.metadata

    def _r_create_developer_metadata(self, request: dict) -> dict:
        item = copy.deepcopy(request.get("developerMetadata") or {})
        location = item.get("location") or {}
        if location.get("spreadsheet"):
            place, item["location"] = self.spreadsheet_metadata, {
                "locationType": "SPREADSHEET", "spreadsheet": True}
        elif "sheetId" in location:
            place = self._by_id(location["sheetId"]).metadata
            item["location"] = {"locationType": "SHEET", "sheetId": location["sheetId"]}
        else:
            raise ApiError(400, "the emulator keeps spreadsheet and sheet metadata only")
        if not item.get("visibility"):
            raise ApiError(400, "Developer metadata visibility is required.")
        if item.get("metadataId") is not None:
            if any(m.get("metadataId") == item["metadataId"]
                   for place in self._metadata_places() for m in place):
                raise ApiError(400, f"Developer metadata with ID {item['metadataId']} already "
                               "exists.")
        else:
            item["metadataId"] = self._new_id() % 100_000_000
        place.append(item)
        return {"developerMetadata": copy.deepcopy(item)}

    def _lookup(self, data_filter: dict) -> list[tuple[list[dict], dict]]:
        lookup = data_filter.get("developerMetadataLookup") or {}
        found = []
        for place in self._metadata_places():
            for item in place:
                if all(item.get(k) == lookup[k] for k in ("metadataId", "metadataKey",
                                                          "metadataValue") if k in lookup):
                    found.append((place, item))
        return found

    def _r_update_developer_metadata(self, request: dict) -> dict:
        if not request.get("fields"):
            raise ApiError(400, "At least one field must be specified.")
        changed = []
        for data_filter in request.get("dataFilters") or []:
            for _, item in self._lookup(data_filter):
                masked_merge(item, request.get("developerMetadata") or {}, request["fields"])
                changed.append(copy.deepcopy(item))
        return {"developerMetadata": changed}

    def _r_delete_developer_metadata(self, request: dict) -> dict:
        deleted = []
        for place, item in self._lookup(request.get("dataFilter") or {}):
            place.remove(item)
            deleted.append(item)
        return {"deletedDeveloperMetadata": deleted}


def rate_limited(headers: dict) -> ApiError:
    """Google's 429 for the per-user read quota."""
    return ApiError(429, "Quota exceeded for quota metric 'Read requests' and limit 'Read "
                    "requests per minute per user' of service 'sheets.googleapis.com' for "
                    "consumer 'project_number:199256788443'.", headers, [
                        {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                         "reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com",
                         "metadata": {"service": "sheets.googleapis.com",
                                      "consumer": "projects/199256788443",
                                      "quota_metric": "sheets.googleapis.com/read_requests",
                                      "quota_limit": "ReadRequestsPerMinutePerUser",
                                      "quota_limit_value": "60", "quota_location": "global"}}])


class EmulatorAdapter(BaseAdapter):
    """The transport: every request is answered by the emulator, none reaches a network."""

    def __init__(self, emulator: SheetsEmulator):
        super().__init__()
        self.emulator = emulator
        self.timeouts: list[Any] = []

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        self.timeouts.append(timeout)
        status, headers, payload = self.emulator.handle(request)
        network = self.emulator.network_fault(request)
        if network is not None:
            time.sleep(network.seconds)  # a drip: the client's deadline passes meanwhile
            raise requests.exceptions.ChunkedEncodingError(urllib3.exceptions.ProtocolError(
                "Connection broken: ConnectionResetError(104, 'Connection reset by peer')"))
        response = requests.Response()
        response.status_code = status
        response.reason = REASONS.get(status, "")
        response._content = json.dumps(payload, ensure_ascii=False).encode()
        response.headers = CaseInsensitiveDict(
            {"Content-Type": "application/json; charset=UTF-8", **headers})
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def service_account_file(folder: Path, emulator: SheetsEmulator,
                         email: str = "worker@emulated-project.iam.gserviceaccount.com") -> Path:
    """A fresh RSA key, trusted by the emulator, in a service-account JSON whose token_uri is
    the emulator's token endpoint."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    emulator.trust_service_account(email, key.public_key())
    path = folder / "service-account.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "emulated-project",
        "private_key_id": "0123456789abcdef", "private_key": pem, "client_email": email,
        "client_id": "1234567890", "token_uri": emulator.token_uri,
        "auth_uri": "https://accounts.emulator.test/o/oauth2/auth"}), encoding="utf-8")
    return path


def authorized_user_file(folder: Path, emulator: SheetsEmulator) -> Path:
    """An OAuth authorized-user file whose refresh token the emulator accepts."""
    emulator.trust_refresh_token("1//emulated-refresh", "client-123.apps", "client-secret")
    path = folder / "authorized-user.json"
    path.write_text(json.dumps({
        "type": "authorized_user", "client_id": "client-123.apps",
        "client_secret": "client-secret", "refresh_token": "1//emulated-refresh",
        "token_uri": emulator.token_uri}), encoding="utf-8")
    return path
