"""`codex-harness merge-reports OUT SHARD...`: the reports of a CI matrix's shards as one run's.

The page is rendered again from the shards' stored per-scenario data, and the JUnit files become
one suite, so the merged report reads as if one machine had run every scenario.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from scenarios.report.html_page import ScenarioReport, write_page
from scenarios.runner import report_store, shards

PAGE_NAME = "scenarios.html"
JUNIT_NAME = "scenarios-junit.xml"
FOLDER_NAME = "scenarios"


class MergeError(Exception):
    """A shard folder that cannot be merged; the message names the folder or file."""


@dataclass
class Merged:
    reports: list[ScenarioReport]
    junit_cases: int
    page: Path
    unreported: list[str]  # selected by the shards' plans, with no report (a shard died)


def _check_plans(shard_dirs: list[Path]) -> set[str]:
    """The shards' plans must be one partition; returns what they selected (empty: no plans)."""
    plans: dict[str, tuple[Path, dict[str, object]]] = {}
    selected: tuple[Path, object] | None = None
    for shard in shard_dirs:
        path = shard / shards.PLAN_NAME
        if not path.is_file():
            continue
        try:
            plan = json.loads(path.read_text(encoding="utf-8"))
            key, chosen = str(plan["shard"]), plan["selected"]
        except (ValueError, KeyError, TypeError) as exc:
            raise MergeError(f"{path}: not a shard plan ({exc!r})") from None
        if key in plans:
            raise MergeError(f"{plans[key][0]} and {path} are both shard {key}")
        if selected is not None and chosen != selected[1]:
            raise MergeError(
                f"{selected[0]} and {path} split different selections (other -k, -m or "
                "scenarios): their shards are not parts of one run"
            )
        plans[key] = (path, plan)
        selected = (path, chosen)
    counts = {k.partition("/")[2] for k in plans}
    if len(counts) > 1:
        raise MergeError(f"shards of different counts: {', '.join(sorted(plans))}")
    return set(selected[1]) if selected is not None and isinstance(selected[1], list) else set()


def _load_reports(shard_dirs: list[Path]) -> dict[str, tuple[Path, ScenarioReport]]:
    found: dict[str, tuple[Path, ScenarioReport]] = {}
    for shard in shard_dirs:
        for path in sorted((shard / FOLDER_NAME).glob("*.json")):
            try:
                report = report_store.load(path)
            except (ValueError, KeyError, TypeError) as exc:
                raise MergeError(f"{path}: not a scenario report ({exc!r})") from None
            if report.name in found:
                raise MergeError(
                    f"scenario {report.name!r} is in two shards: {found[report.name][0]} and "
                    f"{path} (were they run with the same --shard K/N and selection?)"
                )
            found[report.name] = (path, report)
    return found


def _merge_junit(files: list[Path]) -> ET.Element:
    """One <testsuite> with every shard's test cases, its counts and times summed."""
    merged = ET.Element("testsuite", name="pytest")
    cases: dict[tuple[str, str], ET.Element] = {}
    totals = {"errors": 0, "failures": 0, "skipped": 0, "tests": 0}
    seconds = 0.0
    for path in files:
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise MergeError(f"{path}: not a JUnit XML file ({exc})") from None
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for suite in suites:
            for key in totals:
                totals[key] += int(suite.get(key, "0"))
            seconds += float(suite.get("time", "0"))
            if "timestamp" in suite.attrib and "timestamp" not in merged.attrib:
                merged.set("timestamp", suite.attrib["timestamp"])
            for case in suite.findall("testcase"):
                key_of = (case.get("classname", ""), case.get("name", ""))
                if key_of in cases:
                    raise MergeError(f"{path}: test {key_of[1]!r} is in two shards' JUnit files")
                cases[key_of] = case
    for key, count in totals.items():
        merged.set(key, str(count))
    merged.set("time", f"{seconds:.3f}")
    merged.extend(cases[k] for k in sorted(cases))
    root = ET.Element("testsuites", name="pytest tests")
    root.append(merged)
    return root


def merge_reports(out: Path, shard_dirs: list[Path]) -> Merged:
    """Write OUT/scenarios.html, OUT/scenarios/*.json, OUT/scenarios-junit.xml and the durations."""
    if not shard_dirs:
        raise MergeError("no shard folders given")
    for shard in shard_dirs:
        if not shard.is_dir():
            raise MergeError(f"{shard}: no such folder")
        if not (shard / FOLDER_NAME).is_dir() and not (shard / JUNIT_NAME).is_file():
            raise MergeError(
                f"{shard}: neither {FOLDER_NAME}/ nor {JUNIT_NAME} (not a shard's --reports-dir)"
            )
        if shard.resolve() == out.resolve():
            raise MergeError(f"{out}: the output folder is also a shard folder")
    selected = _check_plans(shard_dirs)
    found = _load_reports(shard_dirs)
    junit_files = [s / JUNIT_NAME for s in shard_dirs if (s / JUNIT_NAME).is_file()]
    junit = _merge_junit(junit_files) if junit_files else None
    folder = out / FOLDER_NAME
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for path, _ in found.values():
        shutil.copyfile(path, folder / path.name)
    reports = [found[name][1] for name in sorted(found)]
    title = f"Scenarios (merged from {len(shard_dirs)} shards)"
    page = write_page(out / PAGE_NAME, title, reports)
    cases = 0
    if junit is not None:
        ET.ElementTree(junit).write(out / JUNIT_NAME, encoding="utf-8", xml_declaration=True)
        cases = len(junit.findall("testsuite/testcase"))
    shards.save_durations(out / shards.DURATIONS_NAME, {r.name: r.duration for r in reports})
    return Merged(reports, cases, page, sorted(selected - set(found)))
