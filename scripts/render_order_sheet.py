"""Render the order sheet the docs show: HTML by dosing, PNG (and PDF) by headless Chromium.

Run from the repository root (needs Debian's ``chromium`` package, ``apt-get install chromium``)::

    python scripts/render_order_sheet.py            # docs/images/order-sheet.png
    python scripts/render_order_sheet.py --pdf      # also A4 and US Letter PDFs in /tmp

The patient is the case report's child (150 cm, 40 kg) on flu-arac-mel-ric from 2026-12-10.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import tempfile

import dosing
from dosing import Q_

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"


def sheet() -> str:
    child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(12, "year"))
    schedule = dosing.get_regimen("flu-arac-mel-ric").expand(child, transplant_date="2026-12-10")
    return dosing.formats.write(schedule, "html")


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("no Chromium found: apt-get install chromium")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    html = pathlib.Path(tempfile.gettempdir()) / "order-sheet.html"
    html.write_text(sheet(), encoding="utf-8")
    browser = chromium()
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    subprocess.run(
        [
            *common,
            "--window-size=900,1600",
            f"--screenshot={OUT / 'order-sheet.png'}",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
    )
    print("wrote docs/images/order-sheet.png")
    if "--pdf" in sys.argv:
        for paper, size in (("a4", "A4"), ("letter", "letter")):
            with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as page:
                page.write(sheet().replace("@page {", f"@page {{ size: {size};", 1))
            target = pathlib.Path(tempfile.gettempdir()) / f"order-sheet-{paper}.pdf"
            subprocess.run(
                [
                    *common,
                    "--no-pdf-header-footer",
                    f"--print-to-pdf={target}",
                    pathlib.Path(page.name).as_uri(),
                ],
                check=True,
                capture_output=True,
            )
            print(f"wrote {target}")


if __name__ == "__main__":
    main()
