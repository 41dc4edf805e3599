"""``--format junit``: JUnit XML, one test case per rule and source.

A test case fails when its rule found anything in that source (``failure`` carries the highest severity as its
type and one line per finding); rules with no findings pass. CI systems show it as a test report.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from prep.engine.run import LintResult
from prep.finding import Severity
from prep.reporters.locations import display_line, line_index

ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _where(finding, index) -> str:
    """``path:line`` as the text output shows it (the 1-based line, or row where there are no lines); the path
    alone for a finding about the whole source."""
    line = display_line(finding, index)
    return finding.source if line is None else f"{finding.source}:{line}"


def render(*results: LintResult) -> str:
    """One ``<testsuites>`` document: a suite per source of every result (several PATHs give several results)."""
    suites = ET.Element("testsuites", name="prep lint")
    total = failed = 0
    for result, source in ((r, s) for r in results for s in r.sources):
        index = line_index(result)
        suite = ET.SubElement(suites, "testsuite", name=source.name)
        tests = failures = 0
        for rule in result.rules:
            found = [f for f in result.findings if f.code == rule.code and f.source == source.name]
            case = ET.SubElement(suite, "testcase", classname=source.name, name=f"{rule.code} {rule.name}")
            tests += 1
            if found:
                failures += 1
                worst = min((f.severity for f in found), key=ORDER.__getitem__)
                failure = ET.SubElement(
                    case, "failure", type=worst.value, message=f"{len(found)} finding{'s' if len(found) != 1 else ''}"
                )
                failure.text = "\n".join(f"{_where(f, index)}: {f.severity.value}: {f.message}" for f in found)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total += tests
        failed += failures
    suites.set("tests", str(total))
    suites.set("failures", str(failed))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
