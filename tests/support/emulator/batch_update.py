"""``spreadsheets.batchUpdate``: requests applied atomically, with Google's replies."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from .discovery import masked_merge, snake, strip_zero_sheet, with_twins
from .sheet import ApiError, Sheet, bad, letters, quote_title


class BatchUpdateMixin:
    """Tabs, dimensions, formats, charts, protection and developer metadata."""

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
        self._check_basic_chart(((chart.get("spec") or {}).get("basicChart")) or {})
        chart["chartId"] = chart.get("chartId") or self._new_id()
        chart.setdefault("spec", {})["hiddenDimensionStrategy"] = chart["spec"].get(
            "hiddenDimensionStrategy", "SKIP_HIDDEN_ROWS_AND_COLUMNS")
        overlay = chart["position"]["overlayPosition"]
        overlay.setdefault("widthPixels", 600)
        overlay.setdefault("heightPixels", 371)
        sheet.charts.append(chart)
        return {"chart": strip_zero_sheet(copy.deepcopy(chart))}

    def _check_basic_chart(self, basic: dict) -> None:
        """What Google refuses in a basic chart beyond the schema: a series type outside a
        combo chart, a combo series other than a column, line or area, and a domain and
        series that are not one column of the same rows of an existing sheet."""
        combo = basic.get("chartType") == "COMBO"
        for series in basic.get("series", []):
            kind = series.get("type")
            if kind is not None and not combo:
                raise bad("Invalid requests[0].addChart: Series type is only valid for "
                          "COMBO charts.")
            if combo and kind not in ("COLUMN", "LINE", "AREA"):
                raise bad(f"Invalid requests[0].addChart: Combo series type {kind} is not "
                          "supported (COLUMN, LINE or AREA).")
        spans = set()
        for part in (*basic.get("domains", []), *basic.get("series", [])):
            for data in (part.get("domain"), part.get("series")):
                for area in ((data or {}).get("sourceRange") or {}).get("sources", []):
                    self._by_id(area.get("sheetId"))
                    if area.get("endColumnIndex", 0) - area.get("startColumnIndex", 0) != 1:
                        raise bad("Invalid requests[0].addChart: a chart source range must be "
                                  "one column.")
                    spans.add((area.get("startRowIndex", 0), area.get("endRowIndex")))
        if len(spans) > 1:
            raise bad("Invalid requests[0].addChart: the domain and series ranges must have the "
                      "same rows.")

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
