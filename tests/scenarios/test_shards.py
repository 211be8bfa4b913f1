"""`--shard K/N` and `codex-harness merge-reports`: a CI matrix's shards add up to one run."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenarios.cli import main as harness
from scenarios.report.html_page import ScenarioReport
from scenarios.report.timeline import Timeline
from scenarios.runner import report_store, shards

ROOT = Path(__file__).resolve().parents[2]
FAST = ["backend-usage-limit", "policy-leeway", "windows-install", "windows-denied"]

names = st.sets(st.text(min_size=1, max_size=12), max_size=40)
seconds = st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_infinity=False)


@st.composite
def suites(draw: st.DrawFn) -> tuple[set[str], dict[str, float], int]:
    every = draw(names)
    timed = draw(st.sets(st.sampled_from(sorted(every)))) if every else set()
    durations = {n: draw(seconds) for n in sorted(timed)}
    return every, durations, draw(st.integers(min_value=1, max_value=8))


@given(suites())
def test_shards_partition_every_scenario_once_and_agree(
    suite: tuple[set[str], dict[str, float], int],
) -> None:
    every, durations, count = suite
    parts = shards.partition(every, durations, count)
    assert len(parts) == count
    flat = [n for part in parts for n in part]
    assert sorted(flat) == sorted(every)  # complete and disjoint
    # Another job of the matrix sees the names in another order and a copy of the record.
    assert shards.partition(sorted(every, reverse=True), dict(durations), count) == parts


@given(st.lists(seconds, max_size=12), st.integers(min_value=1, max_value=5))
def test_the_slowest_shard_is_within_the_longest_scenario_of_the_optimum(
    times: list[float], count: int
) -> None:
    durations = {f"s{i}": t for i, t in enumerate(times)}
    parts = shards.partition(durations, durations, count)
    slowest = max(sum(durations[n] for n in part) for part in parts)
    # No partition beats the mean load or the longest scenario: both bound the optimum below.
    optimum_at_least = max([sum(times) / count, *times], default=0.0)
    assert slowest <= optimum_at_least + max(times, default=0.0) + 1e-6


@given(names, st.integers(min_value=1, max_value=6), st.text(min_size=1))
def test_a_new_scenario_moves_no_other(every: set[str], count: int, new: str) -> None:
    before = shards.partition(every - {new}, {}, count)
    after = shards.partition(every | {new}, {}, count)
    assert [[n for n in part if n != new] for part in after] == before


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2", ""])
def test_a_bad_shard_is_refused_with_the_text(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(repr(text))):
        shards.parse_shard(text)


def test_a_broken_durations_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "d.json"
    broken.write_text('{"ping": "slow"}')
    with pytest.raises(ValueError, match=re.escape(str(broken))):
        shards.load_durations(broken)


def test_merge_refuses_a_folder_that_is_no_shard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert harness(["merge-reports", str(tmp_path / "out"), str(tmp_path / "empty")]) == 2
    assert "empty: neither scenarios/ nor scenarios-junit.xml" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


class _Sections(HTMLParser):
    """Each scenario section of a report page: name, outcome, story (no times, no paths)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []
        self._field = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.found.append({"name": a["id"] or "", "outcome": "", "story": ""})
        elif self.found and tag == "span" and (a.get("class") or "").startswith("outcome-"):
            self._field = "outcome"
        elif self.found and tag == "p" and a.get("class") == "story":
            self._field = "story"

    def handle_data(self, data: str) -> None:
        if self._field:
            self.found[-1][self._field] += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("span", "p"):
            self._field = ""


def _content(reports: Path) -> dict[str, Any]:
    page = _Sections()
    page.feed((reports / "scenarios.html").read_text())
    junit = ET.parse(reports / "scenarios-junit.xml").getroot()
    cases = sorted((c.get("name", ""), [child.tag for child in c]) for c in junit.iter("testcase"))
    stored = {}
    for path in (reports / "scenarios").glob("*.json"):
        data = json.loads(path.read_text())
        kept = {k: data[k] for k in ("name", "story", "outcome", "notices", "failure")}
        # Who said what to whom, in order; the virtual times and the log texts (paths) aside.
        kept["steps"] = [(s["source"], s["target"], s["label"]) for s in data["timeline"]["steps"]]
        stored[path.stem] = kept
    return {"sections": page.found, "junit": cases, "stored": dict(sorted(stored.items()))}


def _run(reports: Path, durations: Path, *shard: str) -> None:
    select = ["--lab-backend", "inprocess", "--lab-seed", "7", "-k", " or ".join(FAST)]
    where = ["--reports-dir", str(reports), "--junitxml", str(reports / "scenarios-junit.xml")]
    pytest_args = ["-q", "-p", "no:randomly", "-p", "no:cacheprovider", *select, *where]
    record = ["--durations-file", str(durations), *shard]
    subprocess.run(
        [sys.executable, "-m", "pytest", "scenarios/runner", *pytest_args, *record],
        cwd=ROOT,
        check=True,
        timeout=600,
    )


def test_two_shards_merged_read_as_one_run(tmp_path: Path) -> None:
    durations = tmp_path / "durations.json"
    durations.write_text(json.dumps({"backend-usage-limit": 3.0, "windows-install": 2.0}))
    _run(tmp_path / "whole", tmp_path / "whole-durations.json")
    for k in (1, 2):
        _run(tmp_path / f"shard{k}", durations, "--shard", f"{k}/2")
    ran = [{p.stem for p in (tmp_path / f"shard{k}" / "scenarios").glob("*.json")} for k in (1, 2)]
    assert ran[0]
    assert ran[1]
    assert not ran[0] & ran[1]
    out = tmp_path / "merged"
    shard_dirs = [str(tmp_path / "shard1"), str(tmp_path / "shard2")]
    assert harness(["merge-reports", str(out), *shard_dirs]) == 0

    whole, merged = _content(tmp_path / "whole"), _content(out)
    print(
        f"\n1 shard: {len(whole['sections'])} scenarios; 2 shards merged: "
        f"{len(merged['sections'])}; equal in content: {whole == merged}"
    )
    assert [s["name"] for s in whole["sections"]] == sorted(FAST)
    assert merged == whole
    # The merged record balances the next run's shards.
    assert set(json.loads((out / "scenarios-durations.json").read_text())) == set(FAST)
    plans = [json.loads((tmp_path / f"shard{k}" / shards.PLAN_NAME).read_text()) for k in (1, 2)]
    assert plans[0]["selected"] == plans[1]["selected"] == sorted(FAST)
    # Two shards that both ran a scenario are a mistake to report, not to hide.
    assert harness(["merge-reports", str(tmp_path / "twice"), str(out), shard_dirs[0]]) == 2


def _shard_dir(folder: Path, shard: str, selected: list[str], mine: list[str]) -> Path:
    for name in mine:
        report = ScenarioReport(name, "a story", "passed", 1.0, Timeline(name, ["agent"]))
        report_store.save(report, folder / "scenarios")
    plan = shards.parse_shard(shard)
    shards.save_plan(folder / shards.PLAN_NAME, plan, selected, mine)
    return folder


def test_merge_names_a_scenario_no_shard_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    every = ["a", "b", "c"]
    one = _shard_dir(tmp_path / "one", "1/2", every, ["a"])
    two = _shard_dir(tmp_path / "two", "2/2", every, ["b"])  # "c" died with its worker
    assert harness(["merge-reports", str(tmp_path / "out"), str(one), str(two)]) == 1
    assert "selected but reported by no shard: c" in capsys.readouterr().out
    assert (tmp_path / "out" / "scenarios" / "b.json").is_file()  # what was run is kept


def test_merge_refuses_shards_of_different_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = _shard_dir(tmp_path / "one", "1/2", ["a", "b"], ["a"])
    two = _shard_dir(tmp_path / "two", "2/2", ["a", "b", "c"], ["c"])
    assert harness(["merge-reports", str(tmp_path / "out"), str(one), str(two)]) == 2
    assert "split different selections" in capsys.readouterr().err
    again = _shard_dir(tmp_path / "again", "1/2", ["a", "b"], ["a"])
    assert harness(["merge-reports", str(tmp_path / "out"), str(one), str(again)]) == 2
    assert "are both shard 1/2" in capsys.readouterr().err
