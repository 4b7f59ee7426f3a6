"""The shipped seed: regenerated from the raw plans, and imported by `dondoc seed`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seed.convert import main as convert

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT.parent / "shared" / "seeds"


@pytest.mark.skipif(not RAW.is_dir(), reason="raw seed plans (../shared/seeds) not beside the repo")
def test_converted_plans_match_the_committed_csv(tmp_path: Path) -> None:
    convert(RAW, tmp_path)
    for generated in sorted(tmp_path.glob("*.csv")):
        committed = ROOT / "seed" / "plans" / generated.name
        assert generated.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), (
            f"{generated.name}: run `python seed/convert.py ../shared/seeds seed/plans`"
        )
    assert len(list(tmp_path.glob("*.csv"))) == 4  # 003 is transcribed by hand


def test_seed_command_prints_the_register_summary(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    for _ in range(2):  # a second run re-imports in place
        result = subprocess.run(
            [sys.executable, "-m", "bot", "seed"], env=env, cwd=tmp_path,
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    summary = result.stdout.replace("\n", " ")
    assert "Tổng: 5 kế hoạch, 227 nhiệm vụ" in summary
    assert "17 thời hạn chưa xác định" in summary
    assert "mọi cơ quan đều có trong danh mục" in summary
