"""``spreadsheets.get``: the spreadsheet resource, its grid data, ``fields`` masks and ranges."""

from __future__ import annotations

import copy
from typing import Any

from .discovery import parse_mask, prune, strip_zero_sheet
from .sheet import DEFAULT_FORMAT, THEME, Area, Sheet, json_number


class SpreadsheetMixin:
    """The spreadsheet resource as ``spreadsheets.get`` answers it."""

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
