"""The documents' runnable snippets run, and print what the documents show.

A fenced code block right after a ``<!-- run -->`` line is run by this test: ``python`` blocks with the
interpreter, ``bash`` blocks with bash (``tactica`` on the path), each in a fresh temporary folder. When the
block is followed by a ``<!-- output -->`` line and a fenced block, the snippet's standard output must equal that
block, line by line after trailing spaces are stripped; a line ``...`` in the shown output stands for any number
of lines, and ``...`` inside a line for any text (as doctest's ELLIPSIS). Mark only snippets that finish in a
few seconds (``<!-- run slow -->`` marks one of up to half a minute, run in the slow tier); longer ones belong to
the benchmarks and examples.

A fenced block after ``<!-- file: NAME -->`` is written as ``NAME`` into the folder of every later snippet of
the same document (a module that a tutorial's later commands import, for instance).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\s*$")
RUN = re.compile(r"^<!-- run( slow)? -->$")
FILE = re.compile(r"^<!-- file: ([\w.-]+) -->$")


@dataclass(frozen=True)
class Snippet:
    document: Path
    line: int
    language: str
    code: str
    output: str | None
    slow: bool = False
    files: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def _fenced(lines: list[str], start: int) -> tuple[str, str, int]:
    """The fenced block opening at or after ``start``: (language, body, index after its closing fence)."""
    index = start
    while index < len(lines) and not lines[index].strip():
        index += 1
    opening = FENCE.match(lines[index]) if index < len(lines) else None
    if opening is None:
        raise ValueError(f"line {start + 1}: a marker must be followed by a fenced code block")
    end = index + 1
    while end < len(lines) and not lines[end].startswith("```"):
        end += 1
    return opening.group(1), "\n".join(lines[index + 1 : end]), end + 1


def snippets() -> list[Snippet]:
    found = []
    for document in DOCUMENTS:
        lines = document.read_text(encoding="utf-8").splitlines()
        files: dict[str, str] = {}
        for number, line in enumerate(lines):
            written = FILE.match(line.strip())
            if written:
                files[written.group(1)] = _fenced(lines, number + 1)[1] + "\n"
            marker = RUN.match(line.strip())
            if marker is None:
                continue
            language, code, after = _fenced(lines, number + 1)
            output = None
            rest = after
            while rest < len(lines) and not lines[rest].strip():
                rest += 1
            if rest < len(lines) and lines[rest].strip() == "<!-- output -->":
                output = _fenced(lines, rest + 1)[1]
            found.append(
                Snippet(
                    document, number + 1, language, code, output, bool(marker.group(1)), tuple(files.items())
                )
            )
    return found


SNIPPETS = snippets()


def matches(shown: str, printed: str) -> bool:
    """``printed`` equals ``shown``, where ``...`` lines match any lines and ``...`` in a line any text."""
    pattern = []
    for line in shown.rstrip("\n").splitlines():
        line = line.rstrip()
        if line.strip() == "...":
            pattern.append(r"(?:.*\n)*?")
        else:
            pattern.append(".*".join(re.escape(part) for part in line.split("...")) + r"\n")
    text = "".join(line.rstrip() + "\n" for line in printed.rstrip("\n").splitlines())
    return re.fullmatch("".join(pattern), text) is not None


def test_matching_rules():
    assert matches("a\n...\nd", "a\nb\nc\nd\n")
    assert matches("episode 0: seed=... returns: ...", "episode 0: seed=123 returns: x=1")
    assert not matches("a\nb", "a\nc")


def test_every_document_has_at_least_one_runnable_snippet_where_it_shows_code():
    marked = {s.document for s in SNIPPETS}
    assert ROOT / "README.md" in marked and ROOT / "docs" / "start-here.md" in marked


@pytest.mark.parametrize(
    "snippet",
    [pytest.param(s, marks=pytest.mark.slow) if s.slow else s for s in SNIPPETS],
    ids=[s.name for s in SNIPPETS],
)
def test_snippet_runs_and_prints_what_the_document_shows(snippet: Snippet, tmp_path):
    for name, text in snippet.files:
        (tmp_path / name).write_text(text, encoding="utf-8")
    if snippet.language == "python":
        command = [sys.executable, "-c", snippet.code]
    elif snippet.language in ("bash", "sh", "console"):
        command = ["bash", "-euo", "pipefail", "-c", snippet.code]
    else:
        pytest.fail(f"{snippet.name}: runnable snippets are python or bash, not {snippet.language!r}")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "COLUMNS": "100",
    }
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{snippet.name} failed:\n{done.stderr[-2000:]}"
    if snippet.output is not None:
        assert matches(snippet.output, done.stdout), (
            f"{snippet.name} printed:\n{done.stdout}\nthe document shows:\n{snippet.output}"
        )


def test_documents_stand_alone():
    """The README and docs point only inside the repository or to public sources, never to a workspace."""
    outside = re.compile(r"\.\./shared|/work/|reference note", re.I)
    for document in DOCUMENTS:
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1):
            assert not outside.search(line), f"{document.relative_to(ROOT)}:{number} points outside: {line!r}"
