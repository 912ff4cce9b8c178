"""The real CLI through click's runner (and a subprocess for the console entry point)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import click
import openpyxl
import pytest
from click.testing import CliRunner

from sheetsync.cli import cli
from sheetsync.demo import write_demo_config, write_demo_workbook

TODAY = dt.date(2026, 11, 26)
AS_OF = ["--as-of", TODAY.isoformat()]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    stats = write_demo_workbook(folder / "deals.xlsx", today=TODAY)
    write_demo_config(folder / "config.yaml")
    folder.joinpath("stats.json").write_text(json.dumps({"invalid": stats.invalid_cells}))
    return folder


@pytest.fixture
def demo(tmp_path, demo_dir) -> Path:
    """A private copy of the demo (tests that write must not share a file)."""
    for name in ("deals.xlsx", "config.yaml", "stats.json"):
        (tmp_path / name).write_bytes((demo_dir / name).read_bytes())
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def sheet_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def clean_register(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件一覧"
    ws.append(["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "見込金額", "受注予定日",
               "完了日", "失注理由", "次回アクション日"])
    ws.append(["D-1", "更改", "(株)A", "佐藤", "提案", "120万円", "2026/12/20", None, None, None])
    ws.append(["D-2", "保守", "B社", "鈴木", "受注", 500000, None, dt.date(2026, 10, 1), None,
               None])
    wb.save(path)


# ---------------------------------------------------------------------------- validate


def test_validate_table_lists_every_problem_and_exits_1(demo):
    result = invoke("validate", "--config", str(demo / "config.yaml"), *AS_OF)
    assert result.exit_code == 1
    invalid = json.loads((demo / "stats.json").read_text())["invalid"]
    for cell in invalid:
        assert f"案件一覧!{cell}" in result.output
    assert "エラー 9件" in result.output and "9行を集計から除外" in result.output


def test_validate_json_contract(demo):
    result = invoke("validate", "-c", str(demo / "config.yaml"), "--format", "json", *AS_OF)
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert set(data) == {"rows", "excluded_rows", "errors", "warnings"}
    assert data["rows"] == 300 and data["excluded_rows"] == 9
    invalid = json.loads((demo / "stats.json").read_text())["invalid"]
    assert sorted(e["cell"] for e in data["errors"]) == sorted(invalid)
    for error in data["errors"]:
        assert {"row", "cell", "column", "value", "code", "message"} <= set(error)
        assert error["cell"].endswith(str(error["row"]))
    abc = next(e for e in data["errors"] if e["code"] == "invalid_money")
    assert abc["value"] == "abc" and abc["column"] == "金額" and "120万円" in abc["message"]
    assert {w["code"] for w in data["warnings"]} == {
        "multiple_owners", "multiple_owners_contact", "closed_probability_mismatch",
        "closed_rank_mismatch"}


def test_validate_github_annotations(demo):
    result = invoke("validate", "-c", str(demo / "config.yaml"), "-f", "github", *AS_OF)
    lines = result.output.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 9
    assert any(line.startswith("::warning ") for line in lines)
    first = errors[0]
    cells = json.loads((demo / "stats.json").read_text())["invalid"]
    top = min(cells, key=lambda c: int(c.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
    row = int(top.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    assert "file=" in first and f",line={row}," in first and f"::案件一覧!{top}: " in first


def test_validate_clean_register_exits_0(tmp_path):
    clean_register(tmp_path / "deals.xlsx")
    (tmp_path / "config.yaml").write_text("language: en\n", encoding="utf-8")
    result = invoke("validate", "-c", str(tmp_path / "config.yaml"), *AS_OF)
    assert result.exit_code == 0, result.output
    assert "2 rows · 0 errors · 0 warnings · 0 rows excluded" in result.output


def test_a_half_year_target_that_its_quarters_contradict_is_a_warning(tmp_path):
    clean_register(tmp_path / "deals.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "deals.xlsx")
    ws = wb.create_sheet("目標")
    for row in (["期間", "担当者", "目標金額"], ["FY2026-Q3", None, "1,000万円"],
                ["FY2026-Q4", None, 20_000_000], ["2026年度下期", None, 25_000_000]):
        ws.append(row)
    wb.save(tmp_path / "deals.xlsx")
    (tmp_path / "config.yaml").write_text("language: ja\n", encoding="utf-8")
    result = invoke("run", "-c", str(tmp_path / "config.yaml"), "--dry-run", "-f", "json",
                    *AS_OF)
    assert result.exit_code == 0, result.output  # a warning: nothing is left out
    data = json.loads(result.stdout)
    (warning,) = data["validation"]["warnings"]
    assert (warning["code"], warning["tab"], warning["cell"]) == ("target_mismatch", "目標", "A4")
    assert "¥25,000,000" in warning["message"] and "¥30,000,000" in warning["message"]
    rows = {(r["period"], r["owner"]): r for r in data["forecast"]}
    assert rows[("FY2026-H2", None)]["target"] == 25_000_000  # the explicit one is shown
    assert rows[("FY2026", None)]["target"] is None  # H1 has no target


def test_validate_is_read_only(demo):
    before = (demo / "deals.xlsx").read_bytes()
    invoke("validate", "-c", str(demo / "config.yaml"), *AS_OF)
    assert (demo / "deals.xlsx").read_bytes() == before
    assert not (demo / "deals.xlsx.bak").exists()


# --------------------------------------------------------------------------------- run


def test_run_writes_owned_tabs_and_never_the_register(demo):
    workbook = demo / "deals.xlsx"
    before = sheet_parts(workbook)
    result = invoke("run", "-c", str(demo / "config.yaml"), *AS_OF)
    assert result.exit_code == 1  # the demo has input errors; the tabs are written anyway
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames[:3] == ["案件一覧", "目標", "メモ"]
    assert wb.sheetnames[3:] == ["売上予測", "予測の推移", "パイプライン増減", "受注率",
                                 "要フォロー案件", "担当者サマリー", "ファネル", "入力エラー",
                                 "変更履歴", "_sheetsync_state", "_sheetsync_forecast"]
    assert wb["_sheetsync_state"].sheet_state == "hidden"
    assert wb["_sheetsync_forecast"].sheet_state == "hidden"
    after = sheet_parts(workbook)
    # the register, the targets and the notes tab: byte for byte what the reps left
    for part in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                 "xl/worksheets/sheet3.xml"):
        assert after[part] == before[part]
    assert (demo / "deals.xlsx.bak").read_bytes() != workbook.read_bytes()
    errors = wb["入力エラー"]
    cells = [errors.cell(r, 2).value for r in range(3, errors.max_row + 1)]
    invalid = json.loads((demo / "stats.json").read_text())["invalid"]
    assert set(invalid) <= set(cells)
    link = next(c for c in errors["B"] if c.hyperlink is not None)
    assert link.hyperlink.location.startswith("'案件一覧'!")


def test_run_twice_gives_identical_tabs(demo):
    config = str(demo / "config.yaml")
    invoke("run", "-c", config, *AS_OF)
    first = sheet_parts(demo / "deals.xlsx")
    invoke("run", "-c", config, *AS_OF)
    second = sheet_parts(demo / "deals.xlsx")
    # the note row carries the run time; everything else must be identical
    changed = [n for n in first if first[n] != second.get(n)]
    for name in changed:
        assert name.startswith("xl/worksheets/") or name in ("xl/sharedStrings.xml",
                                                             "docProps/core.xml")


def test_run_dry_run_writes_nothing(demo):
    before = (demo / "deals.xlsx").read_bytes()
    result = invoke("run", "-c", str(demo / "config.yaml"), "--dry-run", *AS_OF)
    assert "--dry-run" in result.output
    assert (demo / "deals.xlsx").read_bytes() == before


def test_run_json_contract(demo):
    result = invoke("run", "-c", str(demo / "config.yaml"), "--dry-run", "-f", "json", *AS_OF)
    data = json.loads(result.output)
    assert data["as_of"] == "2026-11-26"
    assert {"as_of", "validation", "forecast", "win_rate", "stale"} <= set(data)
    assert data["validation"]["excluded_rows"] == 9
    row = data["forecast"][0]
    assert list(row) == ["period", "owner", "target", "won", "pipeline", "weighted", "commit",
                         "best_case", "forecast", "attainment", "forecast_attainment", "gap",
                         "coverage", "commit_landing", "best_case_landing", "commit_attainment",
                         "remaining", "commit_gap", "overdue_count", "overdue_amount", "closed",
                         "forecast_change_7d", "commit_landing_change_7d"]
    team = [r for r in data["forecast"] if r["owner"] is None]
    assert [r["period"] for r in team] == [
        "FY2026-Q1", "FY2026-Q2", "FY2026-Q3", "FY2026-Q4", "FY2027-Q1", "FY2027-Q2",
        "FY2027-Q3", "FY2027-Q4", "FY2026-H1", "FY2026-H2", "FY2026", "FY2027-H1", "FY2027-H2",
        "FY2027"]
    for r in data["forecast"]:
        assert r["forecast"] == r["won"] + (r["weighted"] or 0)
        assert r["commit_landing"] == r["won"] + (r["commit"] or 0)
    assert {r["dimension"] for r in data["win_rate"]} == {"total", "owner", "lead_source"}
    total = next(r for r in data["win_rate"] if r["dimension"] == "total")
    assert total["key"] is None and 0 <= total["wilson_low"] <= total["win_rate"] <= 1
    stale = data["stale"][0]
    assert set(stale) >= {"deal_id", "owner", "stage", "amount", "days_since_update", "reasons"}


# ------------------------------------------------------------------- errors → exit codes


def test_missing_config_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["validate", "-c", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert result.output.strip() == f"sheetsync: {tmp_path / 'none.yaml'}: config file not found"


def test_bad_config_key_exits_2(tmp_path):
    (tmp_path / "c.yaml").write_text("langauge: en\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "-c", str(tmp_path / "c.yaml")])
    assert result.exit_code == 2
    assert "langauge: unknown key; did you mean 'language'?" in result.output


def test_missing_workbook_exits_3(tmp_path):
    (tmp_path / "c.yaml").write_text("spreadsheet: {path: nope.xlsx}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "-c", str(tmp_path / "c.yaml")])
    assert result.exit_code == 3
    assert "nope.xlsx" in result.output and len(result.output.strip().splitlines()) == 1


def test_missing_register_tab_exits_3(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.save(tmp_path / "deals.xlsx")
    (tmp_path / "c.yaml").write_text("language: en\n", encoding="utf-8")  # (ja: test_cli_messages)
    result = CliRunner().invoke(cli, ["validate", "-c", str(tmp_path / "c.yaml")])
    assert result.exit_code == 3
    assert "案件一覧 / Deals not found (tabs present: Sheet1)" in result.output


def test_bad_as_of_is_a_usage_error(demo):
    result = CliRunner().invoke(cli, ["run", "-c", str(demo / "config.yaml"), "--as-of", "3/31"])
    assert result.exit_code == 2 and "'3/31' is not a date" in result.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["validate", "--bogus"], "--bogus"),
     (["frobnicate"], "frobnicate"),
     (["validate", "--format", "xml"], "'xml'")],
)
def test_console_entry_point_usage_errors_are_one_line(tmp_path, args, fragment):
    proc = subprocess.run([sys.executable, "-m", "sheetsync", *args], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and lines[0].startswith("sheetsync: ")
    assert "Traceback" not in proc.stderr


# -------------------------------------------------------------------------------- demo


def test_demo_command_writes_workbook_config_and_tabs(tmp_path):
    target = tmp_path / "demo"
    result = invoke("demo", str(target))
    assert result.exit_code == 0, result.output
    assert (target / "deals.xlsx").exists() and (target / "config.yaml").exists()
    assert str((target / "deals.xlsx").resolve()) in result.output.replace("\n", "")
    assert "着地見込み ¥" in result.output and "入力エラー: 9件" in result.output
    assert "要フォロー案件" in openpyxl.load_workbook(target / "deals.xlsx").sheetnames


def test_demo_refuses_to_overwrite_someone_elses_files(tmp_path):
    (tmp_path / "deals.xlsx").write_bytes(b"precious")
    result = CliRunner().invoke(cli, ["demo", str(tmp_path)])
    assert result.exit_code == 2 and "--force" in result.output
    assert (tmp_path / "deals.xlsx").read_bytes() == b"precious"


@pytest.mark.parametrize("name", ["deals.xlsx", "config.yaml"])
def test_demo_never_silently_overwrites_a_demo_a_rep_may_have_edited(tmp_path, name):
    """Issue 10 #8: a second `sheetsync demo DIR` regenerated DIR, edits and all."""
    target = tmp_path / "demo"
    assert invoke("demo", str(target), "--language", "en", *AS_OF).exit_code == 0
    (target / "deals.xlsx").write_bytes(b"edited")  # (any change stands for a rep's edits)
    (target / "other.xlsx").touch()
    if name == "config.yaml":
        (target / "deals.xlsx").unlink()
    before = {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()}
    result = CliRunner().invoke(cli, ["demo", str(target), "--language", "en", *AS_OF])
    assert result.exit_code == 2
    assert result.output == (f"sheetsync: {target / name} already exists (edits in it would "
                             "be lost); pass --force to overwrite it\n")
    assert {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()} == before
    ja = CliRunner().invoke(cli, ["demo", str(target), *AS_OF])  # the demo's language: ja
    assert ja.exit_code == 2 and ja.output == (
        f"sheetsync: {target / name} は既にあります（編集した内容が失われます）。"
        "上書きするには --force を付けてください\n")
    forced = invoke("demo", str(target), "--language", "en", "--force", *AS_OF)
    assert forced.exit_code == 0 and (target / "deals.xlsx").read_bytes() != b"edited"


def test_demo_as_of_builds_and_runs_the_demo_of_that_day(tmp_path, monkeypatch):
    """`sheetsync demo DIR --as-of DAY` prints the same thing whatever today is."""
    from sheetsync.config import Config

    outputs = []
    for today, folder in ((dt.date(2027, 6, 1), "a"), (dt.date(2026, 12, 10), "b")):
        monkeypatch.setattr(Config, "today", lambda self, now=None, day=today: day)
        monkeypatch.chdir(tmp_path)
        result = invoke("demo", folder, "--as-of", "2026-12-04")
        assert result.exit_code == 0, result.output
        outputs.append(result.output.replace(str(tmp_path / folder), "DIR")
                       .replace(f"{folder}/config.yaml", "DIR/config.yaml"))
    assert outputs[0] == outputs[1]
    assert "FY2026-Q3 着地見込み" in outputs[0]  # 2026-12-04, not 2027-06-01 (FY2027-Q1)
    written = openpyxl.load_workbook(tmp_path / "a" / "deals.xlsx")
    expected_path = tmp_path / "expected.xlsx"
    write_demo_workbook(expected_path, today=dt.date(2026, 12, 4))
    expected = openpyxl.load_workbook(expected_path)
    # (`schema apply` restyles register cells; the IDs, the title and the targets it leaves)
    register, reference = written["案件一覧"], expected["案件一覧"]
    assert [c.value for c in register["A"]] == [c.value for c in reference["A"]]
    assert [[c.value for c in row] for row in written["目標"].iter_rows()] == \
        [[c.value for c in row] for row in expected["目標"].iter_rows()]
    run = json.loads(invoke("run", "-c", str(tmp_path / "a" / "config.yaml"), "--dry-run",
                            "-f", "json", "--as-of", "2026-12-04").output)
    assert run["as_of"] == "2026-12-04"


def test_every_command_has_help():
    def walk(group, path):
        for name, command in group.commands.items():
            yield [*path, name], command
            if hasattr(command, "commands"):
                yield from walk(command, [*path, name])

    seen = []
    for path, command in walk(cli, []):
        assert command.help and len(command.help) > 20, path
        result = invoke(*path, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output, path
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, (path, param.name)
        seen.append(" ".join(path))
    assert {"validate", "run", "demo", "schedule", "jobs export", "schema show",
            "schema apply", "fix"} <= set(seen)


@pytest.mark.parametrize("width", ["80", "100"])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_run_tables_fit_a_narrow_terminal_without_cutting_a_number(demo, width, language):
    """Issue 10 #5: in an 80–100 column terminal a yen amount was cut mid-number."""
    config = demo / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("language: ja",
                                                                 f"language: {language}"),
                      encoding="utf-8")
    result = CliRunner(env={"COLUMNS": width}).invoke(
        cli, ["run", "-c", str(config), "--dry-run", *AS_OF])
    data = json.loads(CliRunner().invoke(
        cli, ["run", "-c", str(config), "--dry-run", "-f", "json", *AS_OF]).stdout)
    lines = result.output.splitlines()
    assert "…" not in result.output
    assert all(len(line.rstrip()) <= int(width) or "着地" in line or "landing" in line
               for line in lines)  # only the one-line range is allowed to run on
    for row in data["stale"][:10]:  # the follow-up table: full amounts (影響額, what ranks them)
        if row["impact"] is not None:
            assert f"¥{row['impact']:,}" in result.output
    team = "Team" if language == "en" else "チーム合計"  # the tab's word, not another one
    assert f" {team} " in result.output
