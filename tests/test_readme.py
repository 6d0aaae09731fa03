"""The README's examples run as written and its links point at files that exist.

Every ```python block of README.md is executed, in order, in one namespace, in an empty
temporary folder (tracebacks name README.md and its line numbers); so are those of
bench/README.md. Every ``graphembed ...`` command of their ```bash blocks is parsed by the
CLI's own parser, so an option or subcommand that does not exist fails here; the cheap ones (``datasets``, ``--help``, ``embed`` of the tiny
edge file the examples write) are run. Relative links of README.md and bench/README.md, their
#anchors, and the repository paths they quote in backticks must exist.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = [README, ROOT / "bench" / "README.md"]

FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def _blocks(text, lang):
    """(first line number, code) of each fenced block of language ``lang``."""
    return [(text.count("\n", 0, m.start(2)) + 1, m.group(2))
            for m in FENCE.finditer(text) if m.group(1) == lang]


def _run_python_blocks(text, filename):
    namespace = {"__name__": "__readme__"}
    blocks = _blocks(text, "python")
    for line, code in blocks:
        # Pad so that a traceback names the README's own line numbers.
        exec(compile("\n" * (line - 1) + code, filename, "exec"), namespace)
    return len(blocks)


def _cli_commands(text):
    """(line, argv) of every ``graphembed`` command in the bash blocks; continuations joined,
    comments dropped."""
    out = []
    for line, code in _blocks(text, "bash"):
        joined = code.replace("\\\n", " ")
        for offset, raw in enumerate(joined.splitlines()):
            words = shlex.split(raw, comments=True)
            if words and words[0] == "graphembed":
                out.append((line + offset, words[1:]))
    return out


def test_readme_fences_are_python_or_bash():
    # A block tagged ```py or ```python3 would be skipped silently by the runner below.
    text = README.read_text(encoding="utf-8")
    langs = {m.group(1) for m in FENCE.finditer(text)}
    assert langs <= {"python", "bash"}, f"README.md fences other than python/bash: {langs}"


def test_runner_fails_on_a_broken_example(tmp_path, monkeypatch):
    # The runner must execute the blocks, in order, sharing names, and surface a failure.
    monkeypatch.chdir(tmp_path)
    good = "text\n```python\nx = 2\n```\nmore\n```python\nassert x * 3 == 6\n```\n"
    assert _run_python_blocks(good, "doc.md") == 2
    broken = good.replace("x * 3 == 6", "x * 3 == 7")
    with pytest.raises(AssertionError):
        _run_python_blocks(broken, "doc.md")
    undefined = "```python\ny = G.number_of_nodes()\n```\n"
    with pytest.raises(NameError):
        _run_python_blocks(undefined, "doc.md")


def test_readme_python_examples_and_cheap_commands_run(tmp_path, monkeypatch, capsys):
    from graphembed import Embedding
    from graphembed.cli import main

    monkeypatch.chdir(tmp_path)
    text = README.read_text(encoding="utf-8")
    assert _run_python_blocks(text, str(README)) >= 2

    ran = []
    for line, argv in _cli_commands(text):
        where = f"README.md:{line}: graphembed {' '.join(argv)}"
        if "--help" in argv:
            with pytest.raises(SystemExit) as exit_:
                main(argv)
            assert exit_.value.code == 0, where
        elif argv == ["datasets"]:
            assert main(argv) == 0, where
        elif argv[:1] == ["embed"] and "edges.tsv" in argv:
            assert main(argv) == 0, where
            emb = Embedding.load(argv[argv.index("-o") + 1])
            # the examples' edge file: a triangle ann-bob-cid and dan hanging off cid
            assert emb.node_ids.tolist() == ["ann", "bob", "cid", "dan"], where
            assert np.isfinite(emb.vectors).all(), where
            assert not np.array_equal(emb["ann"], emb["dan"]), where
        else:
            continue
        ran.append(argv)
    assert ["datasets"] in ran, "README.md no longer shows `graphembed datasets`"
    assert any(a[:1] == ["embed"] and "--help" not in a for a in ran), \
        "README.md embeds no edge file from the shell"
    out = capsys.readouterr().out
    assert "blogcatalog" in out and "cora" in out and "usage: graphembed embed" in out


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_cli_commands_parse(doc):
    from graphembed.cli import _build_parser

    text = doc.read_text(encoding="utf-8")
    commands = [(line, argv) for line, argv in _cli_commands(text) if "--help" not in argv]
    assert len(commands) >= 3
    if doc == README:
        assert ["evaluate", "--dataset", "blogcatalog", "--method", "fastrp"] in \
            [argv for _, argv in commands]
    for line, argv in commands:
        try:
            _build_parser().parse_args(argv)
        except SystemExit:
            pytest.fail(f"{doc.relative_to(ROOT)}:{line}: the CLI rejects `graphembed {' '.join(argv)}`")


def test_bench_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = ROOT / "bench" / "README.md"
    assert _run_python_blocks(doc.read_text(encoding="utf-8"), str(doc)) >= 1


def _slug(heading):
    """GitHub's anchor for a heading."""
    heading = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return heading.replace(" ", "-")


def _anchors(path):
    text = path.read_text(encoding="utf-8")
    return {_slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_and_quoted_paths_exist(doc):
    text = doc.read_text(encoding="utf-8")
    missing = []
    for m in re.finditer(r"\]\(([^)\s]+)\)", text):
        target, _, anchor = m.group(1).partition("#")
        if re.match(r"[a-z]+:", target):
            continue
        path = (doc.parent / target) if target else doc
        if not path.exists():
            missing.append(m.group(1))
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            missing.append(m.group(1))
    # repository paths quoted in backticks (wildcards and output names left aside)
    for m in re.finditer(r"`((?:bench|data|tests|graphembed|spark_jobs)/[^`\s*{}<>…]+)`", text):
        if not (ROOT / m.group(1)).exists():
            missing.append(m.group(1))
    assert not missing, f"{doc.name}: links or paths to nothing: {missing}"
