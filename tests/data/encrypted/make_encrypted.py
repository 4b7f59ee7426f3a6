"""A Word plan saved with a password, as Office saves one: test data for
``tests/test_plan_file_kinds.py`` (msoffcrypto-tool is no dependency of dondoc, so the
file is committed).

Office keeps a .docx saved with a password in an OLE compound file (the bytes of a Word
97–2003 .doc: D0 CF 11 E0 A1 B1 1A E1) holding an ``EncryptionInfo`` and an
``EncryptedPackage`` stream. msoffcrypto-tool writes it as Office does (agile encryption).
The plan inside is :func:`tests.test_plan_file_kinds.word_plan`'s; the password "123456".

Regenerate (from the repository's root, msoffcrypto-tool installed in the interpreter
that runs it; not in dondoc's environment)::

    python -m tests.data.encrypted.make_encrypted
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from msoffcrypto.format.ooxml import OOXMLFile  # type: ignore[import-not-found]

from tests.test_plan_file_kinds import word_plan

HERE = Path(__file__).resolve().parent
PASSWORD = "123456"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        plain = word_plan(Path(folder) / "kh.docx").read_bytes()
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt(PASSWORD, encrypted)
    (HERE / "mat_khau.docx").write_bytes(encrypted.getvalue())


if __name__ == "__main__":
    main()
