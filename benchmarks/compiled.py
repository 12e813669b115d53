"""Would compiling seedfeed's own Python make a cold build fast? Measure it with mypyc.

The cold build's time is per-seed work: parsing (line patterns, dates,
language detection) and rendering. The code is typed strictly, so mypyc
(shipped with mypy, a test dependency) can compile it to C extension modules
without a change. This script copies ``src/seedfeed`` to a temporary folder,
compiles the modules of the per-seed path there, and runs
``benchmarks/stages.py`` on the same seeds against the compiled copy and
against the source, alternating, so both see the same machine. It prints the
mean CPU microseconds per seed of each stage for both, the median over the
rounds. Nothing here is a test, and nothing here is shipped.

Modules left interpreted, and why mypyc refuses them as they are written:
``text.py`` (its XML character classes hold surrogate code points in string
literals), ``model.py`` (its dataclasses set ``__getstate__``, read-only on a
native class), ``langmodel.py`` and ``langquick.py`` (class annotations name
types imported only for type checking). The first and the last two spend
their time in ``re`` and numpy, which are C already.

    python benchmarks/compiled.py SEEDS_DIR [--limit N] [--rounds N]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMPILED = (
    "article.py",
    "dates.py",
    "detect.py",
    "seeds.py",
    "convert.py",
    "displaydate.py",
    "languages/__init__.py",
    "writers/html.py",
)
MYPY_CONFIG = """\
[mypy]
strict = True
[mypy-feedgen.*,feedparser.*,lxml.*,py3langid.*]
ignore_missing_imports = True
"""
ROW = re.compile(r"^\| (\w+) \| (\d+) \| (\d+) \|")


def compile_copy(work: Path) -> Path:
    """Copy the package into work, compile COMPILED there with mypyc; return the folder to import from."""
    shutil.copytree(REPO / "src" / "seedfeed", work / "seedfeed", ignore=shutil.ignore_patterns("__pycache__"))
    (work / "mypy.ini").write_text(MYPY_CONFIG, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypyc", "--config-file", "mypy.ini", *(f"seedfeed/{m}" for m in COMPILED)],
        cwd=work,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"mypyc failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    built = sorted(p.relative_to(work).as_posix() for p in (work / "seedfeed").rglob("*.so"))
    if len(built) != len(COMPILED):
        sys.exit(f"mypyc built {len(built)} modules of {len(COMPILED)}: {built}")
    return work


def stage_means(seeds: Path, limit: int, src: Path) -> dict[str, float]:
    """Run stages.py against the package in src; return each stage's mean CPU µs per seed."""
    script = REPO / "benchmarks" / "stages.py"
    done = subprocess.run(
        [sys.executable, str(script), str(seeds), "--limit", str(limit), "--first", "0", "--src", str(src)],
        capture_output=True,
        text=True,
        check=True,
    )
    means = {m.group(1): float(m.group(3)) for line in done.stdout.splitlines() if (m := ROW.match(line))}
    means["total"] = sum(means.values())
    return means


def main() -> None:
    """Compile, time both, print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("seeds_dir", type=Path)
    parser.add_argument("--limit", type=int, default=2000, help="seeds to time (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seedfeed-mypyc-") as folder:
        compiled = compile_copy(Path(folder))
        runs: dict[str, list[dict[str, float]]] = {"source": [], "mypyc": []}
        for _ in range(args.rounds):
            runs["source"].append(stage_means(args.seeds_dir, args.limit, REPO / "src"))
            runs["mypyc"].append(stage_means(args.seeds_dir, args.limit, compiled))
    stages = list(runs["source"][0])
    print(f"{args.limit} seeds of {args.seeds_dir}: mean CPU µs per seed, median of {args.rounds} rounds\n")
    print("| stage | source | compiled by mypyc | compiled / source |")
    print("|---|---:|---:|---:|")
    for stage in stages:
        source = statistics.median(r[stage] for r in runs["source"])
        native = statistics.median(r[stage] for r in runs["mypyc"])
        print(f"| {stage} | {source:.0f} | {native:.0f} | {native / source:.2f} |")


if __name__ == "__main__":
    main()
