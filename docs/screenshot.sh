#!/usr/bin/env bash
# Renders the Summary tab of the demo workbook to docs/summary.png, the way a person sees it:
# LibreOffice (headless) prints the workbook to PDF, pdftoppm turns the page into a PNG.
# Needs: sheetfunnel installed, libreoffice-calc and poppler-utils (Debian packages).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sheetfunnel demo --out "$work" --as-of "${AS_OF:-2026-11-24}" > /dev/null
# Print only the Summary, landscape, one page wide. openpyxl drops charts when it saves, so run
# sheetfunnel again afterwards: it puts its funnel chart back (and changes no cell).
python3 - "$work/pipeline.xlsx" <<'PY'
import sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1])
for sheet in book.worksheets:
    if sheet.title != "Summary":
        sheet.sheet_state = "hidden"
summary = book["Summary"]
book.active = book.worksheets.index(summary)
summary.page_setup.orientation = "landscape"
summary.page_setup.fitToWidth, summary.page_setup.fitToHeight = 1, 0
summary.sheet_properties.pageSetUpPr.fitToPage = True
book.save(sys.argv[1])
PY
sheetfunnel run "$work/pipeline.xlsx" --as-of "${AS_OF:-2026-11-24}" > /dev/null
(cd "$work" && soffice --headless --convert-to pdf pipeline.xlsx > /dev/null 2>&1)
pdftoppm -f 1 -l 1 -r 90 -png -singlefile "$work/pipeline.pdf" "$here/summary"
echo "wrote $here/summary.png"
