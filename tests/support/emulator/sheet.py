"""The spreadsheet's state as the API keeps it: tabs and cells, A1 notation, typed values
and the shape of Google's error answers."""

from __future__ import annotations

import ast
import datetime as dt
import operator
import re
from dataclasses import dataclass, field
from typing import Any

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
    body_size: int = 0  # bytes of the body as it arrived

