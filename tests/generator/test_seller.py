"""``generate_seller``: its summary, its determinism, and the folders it will write into."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from plugin.generator import GenerationSummary, generate_seller
from plugin.generator.catalog import MARKETS
from plugin.generator.noise import RETURN_COMMENTS
from plugin.generator.seller import plan_seller

from .conftest import Make

AS_OF = date(2026, 10, 31)
ROOT = Path(__file__).resolve().parents[2]


def contents(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("layout", ["tsv", "csv"])
def test_same_arguments_give_the_same_bytes(tmp_path: Path, layout: str) -> None:
    first = generate_seller(tmp_path / "a", seed=5, as_of=AS_OF, ledger_rows=3_000, layout=layout)
    second = generate_seller(tmp_path / "b", seed=5, as_of=AS_OF, ledger_rows=3_000, layout=layout)
    assert contents(first.directory) == contents(second.directory)
    other = generate_seller(tmp_path / "c", seed=6, as_of=AS_OF, ledger_rows=3_000, layout=layout)
    assert contents(other.directory) != contents(first.directory)


def test_the_bytes_do_not_depend_on_the_interpreter_run(tmp_path: Path) -> None:
    """Two fresh interpreters with different hash seeds write the same files."""
    code = (
        "import sys; from datetime import date; from pathlib import Path; "
        "from plugin.generator.seller import generate_seller; "
        "generate_seller(Path(sys.argv[1]), seed=9, as_of=date(2026, 5, 1), "
        "ledger_rows=2000, layout='csv')"
    )
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=str(ROOT))
        target = str(tmp_path / hash_seed)
        subprocess.run([sys.executable, "-c", code, target], check=True, env=env, cwd=ROOT)
    assert contents(tmp_path / "1") == contents(tmp_path / "2")


def test_catalogue_text_is_safe_in_every_layout() -> None:
    """No tab or line break in any value (tsv is unquoted); every character is in cp1252."""
    catalog, plan = plan_seller(seed=3, as_of=AS_OF, skus=300)
    texts = [p.title for p in catalog.products] + [r.comment for r in plan.returns]
    texts += [a for m in MARKETS.values() for address in m.addresses for a in address]
    texts += list(RETURN_COMMENTS)
    for text in texts:
        assert "\t" not in text and "\n" not in text and "\r" not in text, text
        text.encode("cp1252")
    assert len({p.sku for p in catalog.products}) == len(catalog.products) == 300


def test_the_layout_changes_the_spelling_not_the_claims(make_seller: Make) -> None:
    tsv, csv = make_seller("tsv"), make_seller("csv")
    tsv_claims = (tsv.directory / ".planted" / "claims.json").read_text("utf-8")
    csv_claims = (csv.directory / ".planted" / "claims.json").read_text("utf-8")
    assert tsv_claims.replace('"layout": "tsv"', '"layout": "csv"') == csv_claims


def test_the_summary_lists_what_was_written(make_seller: Make) -> None:
    summary: GenerationSummary = make_seller("csv")
    assert summary.files == sorted(contents(summary.directory))
    assert {".planted/claims.json", ".planted/scenarios.json", "costs.csv", "notes.txt",
            "reimbursements.csv.gz", "Reimbursements (1).csv.gz"} <= set(summary.files)  # fmt: skip
    assert (summary.layout, summary.as_of, summary.seed, summary.skus) == ("csv", AS_OF, 7, 40)
    assert summary.planted > 50 and summary.scenarios > summary.planted
    with pytest.raises(AttributeError):
        summary.planted = 0  # type: ignore[misc]


def test_the_reimbursements_copy_is_exact(tsv_seller: Path) -> None:
    original = (tsv_seller / "reimbursements.txt").read_bytes()
    assert (tsv_seller / "Reimbursements (1).txt").read_bytes() == original


def test_a_small_catalogue_is_raised_to_what_the_scenarios_need(tmp_path: Path) -> None:
    summary = generate_seller(tmp_path / "s", seed=1, as_of=AS_OF, skus=1, ledger_rows=0)
    assert summary.skus > 30
    assert summary.ledger_rows >= summary.skus  # every SKU is received once


def test_a_folder_written_before_is_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "seller"
    generate_seller(folder, seed=1, as_of=AS_OF, ledger_rows=1_000, layout="csv")
    summary = generate_seller(folder, seed=1, as_of=AS_OF, ledger_rows=1_000, layout="tsv")
    assert sorted(contents(folder)) == summary.files
    assert [p.name for p in tmp_path.iterdir()] == ["seller"]


def test_a_foreign_folder_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError, match="not empty"):
        generate_seller(tmp_path, seed=1, as_of=AS_OF, ledger_rows=1_000)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


@pytest.mark.parametrize(
    ("option", "value"), [("layout", "xlsx"), ("skus", 0), ("days", 0), ("ledger_rows", -1)]
)
def test_bad_arguments_write_nothing(tmp_path: Path, option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option):
        generate_seller(tmp_path / "s", seed=1, as_of=AS_OF, **{option: value})  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
