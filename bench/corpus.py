"""Corpus runner: how aigov fares on a directory of real-world IaC that nobody here wrote.

    python bench/corpus.py /path/to/corpus
    python bench/corpus.py /path/to/corpus --only bicep --details --timeout 30

Nothing is fetched and nothing of the corpus belongs in the repository: the
user points the runner at a directory they gathered. Every input found there
is run through ``aigov scan`` in its own process (with a timeout), in an empty
working directory so no ``aigov.yaml`` is picked up:

* Bicep: every ``.bicep`` and ``.bicepparam`` file (but the compiler's
  annotated ``*.syntax.bicep`` and ``*.tokens.bicep`` test outputs);
* ARM: every ``.json`` file whose ``$schema`` is a deployment template;
* Terraform: every directory that holds ``.tf`` files (``.terraform/`` skipped).

Each input ends as a **result** (exit 0 or 1), a **clean error** (exit 2 with
one ``error:`` line on stderr), **noisy** (any other exit, or a traceback) or
a **hang** (the timeout ran out). The runner prints the counts per source
kind and the most common error messages (file, position and quoted names
taken out so like errors group).

Bicep files with a compiled ``main.json`` beside them (the Bicep compiler's
baselines) are also compared: ``aigov estimate --format json`` on both, and
the two lists of resources aigov found must be equal, type by type and in
their resolved name, location, SKU and monthly cost. A pair whose
Bicep side calls registry modules that are not restored (the compiled
template holds them inline) is counted apart, as ``not restored``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

KINDS = ("bicep", "arm", "terraform")
NOT_BICEP = (".syntax.bicep", ".tokens.bicep")
"""The Bicep compiler's annotated test outputs: annotations inside strings make them invalid Bicep."""
OUTCOMES = ("result", "clean error", "noisy", "hang")
VERDICTS = ("same", "values differ", "different", "not restored", "bicep only", "json only", "neither")
"""How a Bicep file and its compiled main.json compare (see :func:`compare`)."""
_LOCATION = re.compile(r"^(line \d+(, column \d+)?|\$\S*|column \d+)$")
_QUOTED = re.compile(r"'[^']*'")
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Input:
    """One thing to scan: a file or (Terraform) a directory."""

    kind: str
    path: Path


@dataclass(frozen=True)
class Outcome:
    """How one run of aigov on one input ended."""

    input: Input
    outcome: str
    error: str = ""  # the error line (clean error), the last stderr line (noisy), or ""


# --------------------------------------------------------------------------- finding inputs


def _is_arm_template(path: Path) -> bool:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    schema = data.get("$schema") if isinstance(data, dict) else None
    return isinstance(schema, str) and "deploymenttemplate.json" in schema.lower()


def discover(root: Path, only: Sequence[str] = KINDS) -> list[Input]:
    """Every input under ``root`` of the kinds in ``only``, in path order."""
    found: list[Input] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in (".terraform", ".git"))
        here = Path(directory)
        if "terraform" in only and any(f.endswith(".tf") for f in files):
            found.append(Input("terraform", here))
        for name in sorted(files):
            lower = name.lower()
            bicep = lower.endswith((".bicep", ".bicepparam")) and not lower.endswith(NOT_BICEP)
            if "bicep" in only and bicep:
                found.append(Input("bicep", here / name))
            elif "arm" in only and lower.endswith(".json") and _is_arm_template(here / name):
                found.append(Input("arm", here / name))
    return sorted(found, key=lambda i: (KINDS.index(i.kind), str(i.path)))


# --------------------------------------------------------------------------- running aigov


def _aigov(args: Sequence[str], timeout: float, cwd: str) -> subprocess.CompletedProcess[str] | None:
    """``python -m aigov ARGS``; None when it ran past ``timeout`` seconds."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "aigov", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None


def classify(item: Input, done: subprocess.CompletedProcess[str] | None) -> Outcome:
    """Result, clean error, noisy or hang, from the exit code and standard error of a scan."""
    if done is None:
        return Outcome(item, "hang")
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    if done.returncode in (0, 1) and "Traceback" not in done.stderr:
        return Outcome(item, "result")
    errors = [line for line in lines if not line.startswith("warning:")]
    if done.returncode == 2 and len(errors) == 1 and errors[0].startswith("error: "):
        return Outcome(item, "clean error", errors[0])
    return Outcome(item, "noisy", lines[-1] if lines else f"exit {done.returncode}, nothing on stderr")


def scan(item: Input, timeout: float, cwd: str) -> Outcome:
    """Run ``aigov scan`` on one input and classify how it ended."""
    return classify(item, _aigov(["scan", str(item.path.resolve())], timeout, cwd))


def message_kind(error: str) -> str:
    """The gist of an error line: file, position, quoted names and numbers taken out."""
    text = error.removeprefix("error: ")
    parts = text.split(": ")
    while len(parts) > 1 and (
        "/" in parts[0] or "\\" in parts[0] or _LOCATION.match(parts[0]) or parts[0].endswith(".json")
    ):
        parts.pop(0)
    # Quoted names vary from file to file; quoted single characters ('#', '}') are the message.
    text = _QUOTED.sub(lambda m: m.group() if len(m.group()) <= 3 else "'…'", ": ".join(parts))
    return _NUMBER.sub("N", text)


@dataclass(frozen=True)
class Estimated:
    """What ``aigov estimate`` found in one input: resource types, resolved values, what it did not read."""

    types: list[str]
    values: list[tuple[str, ...]]  # per resource: type, name, location, SKU and monthly cost, sorted
    unread: int  # modules it could not read offline (registry modules not restored, template specs)


def resource_types(path: Path, timeout: float, cwd: str) -> Estimated | None:
    """The resource types ``aigov estimate`` finds in ``path``; None when it gives no result."""
    done = _aigov(["estimate", "--format", "json", str(path.resolve())], timeout, cwd)
    if done is None or done.returncode != 0:
        return None
    try:
        resources = json.loads(done.stdout)["resources"]
    except (ValueError, KeyError, TypeError):
        return None
    unread = sum(str(r.get("basis", "")).startswith("input not read:") for r in resources)
    # A name known only at deployment is shown by address, which differs between the two paths.
    values = sorted(
        (
            str(r.get("type")),
            "(by address)" if r.get("name") == r.get("address") else str(r.get("name")),
            *(str(r.get(f)) for f in ("location", "sku", "monthly_usd")),
        )
        for r in resources
    )
    return Estimated(sorted(str(r.get("type")) for r in resources), values, unread)


def compiled_pairs(inputs: Sequence[Input]) -> Iterator[tuple[Path, Path]]:
    """Each Bicep file that has the compiler's ``main.json`` beside it, with that file."""
    for item in inputs:
        if item.kind == "bicep" and item.path.suffix == ".bicep":
            compiled = item.path.with_suffix(".json")
            if compiled.name == "main.json" and compiled.is_file():
                yield item.path, compiled


def compare(bicep: Path, compiled: Path, timeout: float, cwd: str) -> str:
    """How the pair compares: one of :data:`VERDICTS`.

    ``same``: the same resource types with the same resolved name, location,
    SKU and monthly cost each; ``values differ``: the same types, but not
    those values.

    ``not restored``: the Bicep file calls registry modules that are not in the
    local module cache (``bicep restore`` fills it), while the compiled
    template holds them inline, so the two cannot be compared offline.
    """
    left = resource_types(bicep, timeout, cwd)
    right = resource_types(compiled, timeout, cwd)
    if left is None and right is None:
        return "neither"
    if left is None:
        return "json only"
    if right is None:
        return "bicep only"
    if left.types == right.types:
        return "same" if left.values == right.values else "values differ"
    # The compiled template holds registry modules inline; template specs are unread on both sides.
    return "not restored" if left.unread > right.unread else "different"


# --------------------------------------------------------------------------- report


def report(outcomes: Sequence[Outcome], pairs: Sequence[tuple[Path, str]], details: bool, top: int) -> str:
    """The counts per kind, the top error messages, and the compiled-pair comparison, as text."""
    out: list[str] = []
    header = f"{'kind':<10} {'inputs':>6} " + " ".join(f"{o:>11}" for o in OUTCOMES)
    out.append(header)
    for kind in (*KINDS, "total"):
        rows = [o for o in outcomes if kind in ("total", o.input.kind)]
        if not rows and kind != "total":
            continue
        counts = Counter(o.outcome for o in rows)
        out.append(f"{kind:<10} {len(rows):>6} " + " ".join(f"{counts[o]:>11}" for o in OUTCOMES))
    failed = [o for o in outcomes if o.outcome != "result"]
    if failed:
        out.append("")
        out.append(f"top error messages (of {len(failed)} inputs without a result):")
        kinds = Counter(message_kind(o.error) if o.error else o.outcome for o in failed)
        for message, count in kinds.most_common(top):
            out.append(f"  {count:>5}  {message}")
    if pairs:
        counts = Counter(verdict for _, verdict in pairs)
        out.append("")
        out.append(f"Bicep files with a compiled main.json beside them: {len(pairs)}")
        for verdict in VERDICTS:
            out.append(f"  {verdict:<12} {counts[verdict]:>5}")
    if details:
        out.append("")
        out.append("inputs without a result:")
        for o in failed:
            out.append(f"  [{o.outcome}] {o.input.path}: {o.error}")
        out.extend(f"  [pair {verdict}] {path}" for path, verdict in pairs if verdict != "same")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the corpus directory")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per aigov run (default 60)")
    parser.add_argument("--details", action="store_true", help="list every input without a result")
    parser.add_argument(
        "--only", choices=KINDS, action="append", help="scan only this kind of input (repeatable)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="aigov runs at once (default 1)")
    parser.add_argument("--top", type=int, default=15, help="how many error messages to list")
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f"{args.root}: not a directory")
    inputs = discover(args.root, args.only or KINDS)
    with tempfile.TemporaryDirectory() as cwd, ThreadPoolExecutor(max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda item: scan(item, args.timeout, cwd), inputs))
        pair_list = list(compiled_pairs(inputs))
        verdicts = list(pool.map(lambda pair: compare(*pair, args.timeout, cwd), pair_list))
    pairs = [(bicep, verdict) for (bicep, _), verdict in zip(pair_list, verdicts, strict=True)]
    print(f"corpus: {args.root} ({len(inputs)} inputs, timeout {args.timeout:g} s)")
    print(report(outcomes, pairs, args.details, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
