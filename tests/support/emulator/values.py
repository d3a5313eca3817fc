"""The ``spreadsheets.values`` methods: get, batchGet, update, batchUpdate, clear, batchClear."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .sheet import (
    CELLS,
    DATE_FORMAT,
    Area,
    Sheet,
    bad,
    col_index,
    format_number,
    json_number,
    letters,
    parse_user_entered,
    quote_title,
    serial,
    split_range,
)


class ValuesMixin:
    """Value ranges read and written as the API reads and writes them."""

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
