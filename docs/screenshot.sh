#!/usr/bin/env bash
# Renders the demo workbook's Summary, Attention, Opportunities, Insights and Review tabs, in
# English and in Chinese, to docs/<lang>-<tab>.png the way a person sees them printed: LibreOffice
# (headless) prints each tab to PDF (Summary and Attention with the print setup sheetfunnel gives
# them; Opportunities, a people's tab, landscape one page wide, without the columns of details;
# Insights, long, portrait with the whole tab on one page; Review landscape one page wide, its
# charts beside its tables), pdftoppm turns page 1 into a PNG.
# Also checks that no printed cell shows ### (a number or date too wide for its column).
# Needs: run from the repository (python3 with sheetfunnel's dependencies), libreoffice-calc,
# poppler-utils and fonts-noto-cjk (Debian packages).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-python3}"
as_of="${AS_OF:-2026-11-24}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
declare -A tabs=([en]="Summary Attention Opportunities Insights Review"
                 [zh]="汇总 待处理 商机 洞察 复盘")
declare -A names=([Summary]=summary [Attention]=attention [Opportunities]=opportunities
                  [Insights]=insights [Review]=review [汇总]=summary [待处理]=attention
                  [商机]=opportunities [洞察]=insights [复盘]=review)
for lang in en zh; do
    book="$work/$lang.xlsx"
    "$python" -m sheetfunnel init "$book" --lang "$lang" --demo --as-of "$as_of" > /dev/null
    "$python" -m sheetfunnel run "$book" --as-of "$as_of" > /dev/null
    read -r -a titles <<< "${tabs[$lang]}"
    mkdir -p "$work/$lang"
    "$python" -m tests.support.printing "$book" "$work/$lang" "${titles[@]:0:2}"
    # Opportunities: ID, Title, Owner, Stage, Amount and the columns sheetfunnel added
    "$python" -m tests.support.printing --fit --hide 2,7-19 "$book" "$work/$lang" "${titles[2]}"
    "$python" -m tests.support.printing --page "$book" "$work/$lang" "${titles[3]}"
    "$python" -m tests.support.printing --fit "$book" "$work/$lang" "${titles[4]}"
    for title in "${titles[@]}"; do
        pdf="$work/$lang/$title.pdf"
        if pdftotext "$pdf" - | grep -q '###'; then
            echo "$lang $title: a cell shows ###" >&2
            exit 1
        fi
        crop=(-r 80)  # the whole first page; of Opportunities its top rows, larger
        [ "${names[$title]}" = opportunities ] && crop=(-r 150 -x 60 -y 140 -W 1300 -H 480)
        [ "${names[$title]}" = insights ] && crop=(-r 150 -x 170 -y 120 -W 940 -H 1420)
        [ "${names[$title]}" = review ] && crop=(-r 140 -x 90 -y 125 -W 1300 -H 880)
        pdftoppm -f 1 -l 1 "${crop[@]}" -png -singlefile "$pdf" "$here/$lang-${names[$title]}"
        echo "wrote $here/$lang-${names[$title]}.png"
    done
done
