"""Benchmark: the Bicep and Terraform HCL sources on a generated tree, beside baselines from the same run.

    python bench/bench_sources.py                    # 250 .bicep + 200 .tf files, best of 3
    python bench/bench_sources.py --repeat 5 --bicep-projects 50 --tf-stacks 10

The tree comes from ``bench/gen_iac.py`` (deterministic; written to
``bench/out/iac``). "Parse and evaluate" is what ``aigov scan`` does with
each input up to the inventory: every ``main.bicep`` through
:class:`~aigov.sources.bicep.source.BicepSource` (its modules are read
through it) and every Terraform stack directory through
:class:`~aigov.sources.terraform_hcl.TerraformHclSource`.

Baselines, measured in the same process: reading every file's bytes, and
python-hcl2's own ``hcl2.loads`` of every ``.tf`` file (parse to a dict,
no evaluation). Each figure is the best of ``--repeat`` rounds; the first
round is also shown ("cold": it includes loading the HCL parser's cached
grammar), and the best CPU time of this process (steadier than wall time
on a shared machine). Imports are timed once, apart. Target (issue 3): the
whole tree, Bicep and HCL together, in under 2 s (best wall time).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_iac import generate  # noqa: E402

TARGET_SECONDS = 2.0


def _timed(work: Callable[[], int], repeat: int) -> tuple[float, float, float, int]:
    """Cold and best wall seconds, best CPU seconds of ``work``, and what it returned (a count)."""
    walls: list[float] = []
    cpus: list[float] = []
    result = 0
    for _ in range(repeat):
        cpu, start = time.process_time(), time.perf_counter()
        result = work()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return walls[0], min(walls), min(cpus), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "out" / "iac")
    parser.add_argument("--bicep-projects", type=int, default=50, help="five .bicep files each")
    parser.add_argument("--tf-stacks", type=int, default=10, help="twenty .tf files each")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    mains, stacks = generate(args.out, args.bicep_projects, args.tf_stacks)
    bicep_files = sorted((args.out / "bicep").rglob("*.bicep"))
    tf_files = sorted((args.out / "terraform").rglob("*.tf"))
    bicep_lines = sum(p.read_text(encoding="utf-8").count("\n") for p in bicep_files)
    tf_lines = sum(p.read_text(encoding="utf-8").count("\n") for p in tf_files)

    start = time.perf_counter()
    import hcl2  # noqa: PLC0415

    from aigov.sources.base import SourceInput, SourceOptions  # noqa: PLC0415
    from aigov.sources.bicep.source import BicepSource  # noqa: PLC0415
    from aigov.sources.terraform_hcl import TerraformHclSource  # noqa: PLC0415

    imports = time.perf_counter() - start
    options = SourceOptions()

    def read(files: list[Path]) -> Callable[[], int]:
        return lambda: sum(len(p.read_bytes()) for p in files)

    def bicep() -> int:
        source = BicepSource()
        return sum(len(source.load(SourceInput.open(str(m)), options).resources) for m in mains)

    def hcl() -> int:
        source = TerraformHclSource()
        return sum(len(source.load(SourceInput.open(str(s)), options).resources) for s in stacks)

    def hcl2_loads() -> int:
        return sum(len(hcl2.loads(p.read_text(encoding="utf-8"))) for p in tf_files)

    rows: list[tuple[str, int, tuple[float, float, float, int], str]] = [
        ("Bicep: read files", len(bicep_files), _timed(read(bicep_files), args.repeat), "bytes"),
        ("Bicep: aigov parse + evaluate", len(bicep_files), _timed(bicep, args.repeat), "resources"),
        ("HCL: read files", len(tf_files), _timed(read(tf_files), args.repeat), "bytes"),
        ("HCL: python-hcl2 hcl2.loads", len(tf_files), _timed(hcl2_loads, args.repeat), "top-level keys"),
        ("HCL: aigov parse + evaluate", len(tf_files), _timed(hcl, args.repeat), "resources"),
    ]

    print(
        f"tree: {len(bicep_files)} .bicep files ({bicep_lines} lines, {len(mains)} projects), "
        f"{len(tf_files)} .tf files ({tf_lines} lines, {len(stacks)} stacks); "
        f"best of {args.repeat}; imports {imports:.3f} s (once)"
    )
    print(f"{'':32} {'files':>6} {'best s':>8} {'files/s':>9} {'cpu s':>8} {'cold s':>8}  result")
    for label, files, (cold, best, cpu, result), unit in rows:
        figures = f"{best:8.3f} {files / best:9.0f} {cpu:8.3f} {cold:8.3f}"
        print(f"{label:32} {files:6d} {figures}  {result} {unit}")
    cold, best, cpu = (rows[1][2][i] + rows[4][2][i] for i in range(3))
    total = len(bicep_files) + len(tf_files)
    figures = f"{best:8.3f} {total / best:9.0f} {cpu:8.3f} {cold:8.3f}"
    print(f"{'Together: aigov parse + evaluate':32} {total:6d} {figures}")
    verdict = "met" if best < TARGET_SECONDS else "NOT met"
    print(
        f"target: whole tree under {TARGET_SECONDS:.0f} s: {verdict} "
        f"(best {best:.2f} s wall, {cpu:.2f} s CPU; first round {cold:.2f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
