"""Measure language detection on the test corpus: whole seeds, then single paragraphs.

Run from the repository root: ``python benchmarks/detect_accuracy.py``. The
figures go to docs/languages.md. Single paragraphs are the harder case (a
seed of one or two lines); every paragraph of at least 60 characters counts.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from seedfeed.detect import detect_language
from seedfeed.languages import COMMON, shipped_tables

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "corpus"
MIN_PARAGRAPH = 60


def main() -> int:
    candidates = [code for code in shipped_tables() if code != COMMON]
    started = time.perf_counter()
    detect_language("warm up the model " * 4, candidates=candidates)
    load = time.perf_counter() - started
    seeds = sorted(CORPUS.glob("*/*.txt"))
    results: dict[str, Counter[str]] = {"seeds": Counter(), "paragraphs": Counter()}
    misses: list[str] = []
    started = time.perf_counter()
    for path in seeds:
        truth = path.parent.name
        text = path.read_text(encoding="utf-8")
        units = [("seeds", text)] + [("paragraphs", p) for p in text.split("\n") if len(p) >= MIN_PARAGRAPH]
        for kind, unit in units:
            found = detect_language(unit, candidates=candidates)
            guess = found.language if found else "none"
            results[kind]["total"] += 1
            if guess == truth:
                results[kind]["right"] += 1
            elif guess == "none":
                results[kind]["unsure"] += 1
            else:
                results[kind]["wrong"] += 1
                misses.append(f"{kind}: {path.parent.name}/{path.name}: {guess} for {unit[:50]!r}")
    elapsed = time.perf_counter() - started
    print(f"model load: {load:.2f} s; {len(seeds)} seeds")
    for kind, counts in results.items():
        total = counts["total"]
        print(
            f"{kind}: {counts['right']}/{total} right ({100 * counts['right'] / total:.1f} %), "
            f"{counts['unsure']} unsure (feed language stands in), {counts['wrong']} wrong"
        )
    print(f"detection time: {1000 * elapsed / sum(c['total'] for c in results.values()):.2f} ms per text")
    for miss in misses:
        print("miss:", miss)
    return 0


if __name__ == "__main__":
    sys.exit(main())
