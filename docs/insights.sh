#!/usr/bin/env bash
# Renders an Insights tab to docs/insights.png: a workbook of 600 generated closed deals (a known
# signal in Source, Owner and Size; a Pitch column for the A/B comparison), run by sheetfunnel,
# printed by LibreOffice (headless) to PDF and turned into a PNG by pdftoppm.
# Run from the repository root. Needs: sheetfunnel, libreoffice-calc and poppler-utils.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work/closed.xlsx" <<'PY'
import sys
from tests.support.closed_deals import synthetic_grid
from tests.support.parity import save_grids
save_grids(sys.argv[1], {"Opportunities": synthetic_grid(600),
                         "Settings": [["Key", "Value"], ["win_probability", "blend"],
                                      ["model_min_won", 50], ["model_min_lost", 50],
                                      ["ab_field", "Pitch"]]})
PY
sheetfunnel run "$work/closed.xlsx" --as-of "${AS_OF:-2026-11-24}" > /dev/null
python3 - "$work/closed.xlsx" <<'PY'
import sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1])
for sheet in book.worksheets:
    if sheet.title != "Insights":
        sheet.sheet_state = "hidden"
insights = book["Insights"]
book.active = book.worksheets.index(insights)
insights.column_dimensions["A"].width = 34
insights.page_setup.orientation = "landscape"
insights.page_setup.fitToWidth, insights.page_setup.fitToHeight = 1, 0
insights.sheet_properties.pageSetUpPr.fitToPage = True
book.save(sys.argv[1])
PY
(cd "$work" && soffice --headless --convert-to pdf closed.xlsx > /dev/null 2>&1)
pdftoppm -f 1 -l 1 -r 90 -png -singlefile "$work/closed.pdf" "$here/insights"
echo "wrote $here/insights.png"
