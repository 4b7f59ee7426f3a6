"""The seed plans as LibreOffice exports them to PDF: test data for
``tests/test_pdf_import.py`` (CI has no LibreOffice, so the PDFs are committed).

Each is the Word document :func:`tests.docx_plans.seed_document` writes for a seed plan,
converted by ``soffice --headless --convert-to pdf``, as an agency that writes its plan in
LibreOffice publishes it. A LibreOffice export is not a reportlab drawing: a header row
repeated mid-page and broken over a page (plan 2228), deadlines merged down over page
breaks under a repeated header (plan 336), combining marks drawn apart from their letters.

Plan 336 is trimmed to its first two appendices (:data:`SEEDS`) to keep the file small;
:func:`seed_csv` writes the same trim of its CSV, which the tests compare it with.

Regenerate (from the repository's root, LibreOffice installed)::

    python -m tests.data.libreoffice.make_pdfs
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.docx_plans import SEED_PLANS, seed_document

HERE = Path(__file__).resolve().parent
# seed plan → the CSV's lines kept (None: all of it)
SEEDS: dict[str, int | None] = {"002_dongnai_336_2024": 60, "004_soctrang_2228_2022": None}


def seed_csv(name: str, folder: Path) -> Path:
    """The seed plan's CSV as the committed PDF holds it (trimmed where :data:`SEEDS` says),
    written into ``folder`` under the seed's own name."""
    keep = SEEDS[name]
    source = SEED_PLANS / f"{name}.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    path = folder / source.name
    path.write_text("".join(lines[:keep] if keep else lines), encoding="utf-8")
    return path


def main() -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise SystemExit("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in SEEDS:
            document = seed_document(seed_csv(name, folder), folder)
            subprocess.run(
                [office, "--headless", "--convert-to", "pdf", "--outdir", str(HERE), str(document)],
                check=True, capture_output=True, timeout=300,
            )  # fmt: skip
            print(HERE / f"{name}.pdf")


if __name__ == "__main__":
    main()
