"""Time whole-process ``seedfeed build`` on generated corpora, and Hugo on the same corpus.

For each corpus size N the runner times, as separate processes:

- ``cold``: no ledger, no output folder and so no parse cache;
- ``noop``: a rebuild with nothing changed;
- ``new``: a rebuild after one new seed arrived, started at once (as watch
  mode starts it);
- ``edit``: a rebuild after one seed was edited;
- ``remove``: a rebuild after one seed was deleted;
- ``cron``: a rebuild after one new seed arrived a few seconds before it (as a
  cron job or a CI step finds it): a build then also records the no-op
  snapshot, which a build right after the change does not (seedfeed only;
  for Hugo it is ``new``);
- ``mixed``: a rebuild after one new seed arrived and another seed was
  edited, both since the last build (a scrape that brings a correction);
- ``batch``: a rebuild after a batch of new seeds (``--batch``, 100 unless
  told) arrived at once, as a morning's scrape lands;

each ``--runs`` times (median, min and max), with the peak resident set of
the build's process tree (the largest single process, from ``wait4``). A
bare feedgen script that reads every seed and parses nothing is timed as a
reference point, and so is ``bare_site.py``, which writes the same files as
seedfeed's site without doing any of its work (the floor that the output's
file system sets for any build of that site); when ``hugo`` is on PATH the same articles are built as
a Hugo site (pages and an Atom feed) in the same run, with the ratio printed.
Benchmarks print figures; nothing here is a test.

    python benchmarks/run.py --size 1000 --size 10000 --runs 5
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_corpus import FEED_TOML, GENERATOR_VERSION, make_seed, seed_name, write_corpus

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = ("cold", "noop", "new", "edit", "remove", "cron", "mixed", "batch")
# How long the cron scenario waits after adding a seed: more than seedfeed's settling margin (2 s).
CRON_WAIT = 3.0
# The mixed scenario's edits are numbered from here: other seeds and other texts than the edit scenario's.
MIXED_EDITS = 1000

HUGO_CONFIG = """\
baseURL = "https://bench.example.org/"
title = "Berita Dunia (benchmark)"
languageCode = "id"
disableKinds = ["taxonomy", "term", "sitemap", "robotsTXT", "404"]
[mediaTypes."application/atom+xml"]
suffixes = ["atom"]
[outputFormats.Atom]
mediaType = "application/atom+xml"
baseName = "feed"
[outputs]
home = ["HTML", "Atom"]
section = ["HTML"]
page = ["HTML"]
"""
HUGO_LAYOUTS = {
    "_default/single.html": (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ .Title }}</title></head>'
        "<body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>\n"
    ),
    "_default/list.html": (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ .Title }}</title></head><body><ul>'
        "{{ range first 50 .RegularPages.ByDate.Reverse }}"
        '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}'
        "</ul></body></html>\n"
    ),
    "index.atom.atom": (
        '{{ printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\"?>" | safeHTML }}\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "<id>{{ .Permalink }}</id><title>{{ .Site.Title }}</title>"
        "{{ $pages := first 50 .Site.RegularPages.ByDate.Reverse }}"
        "{{ with index $pages 0 }}"
        '<updated>{{ .Date.Format "2006-01-02T15:04:05Z07:00" | safeHTML }}</updated>{{ end }}\n'
        '<author><name>Redaksi Berita Dunia</name></author><link rel="self" href="{{ .Permalink }}feed.atom"/>\n'
        "{{ range $pages }}<entry><id>{{ .Permalink }}</id><title>{{ .Title }}</title>"
        '<updated>{{ .Date.Format "2006-01-02T15:04:05Z07:00" | safeHTML }}</updated><link href="{{ .Permalink }}"/>'
        '<content type="html">{{ .Content | html }}</content></entry>\n'
        "{{ end }}</feed>\n"
    ),
}


@dataclass
class Timing:
    """The runs of one tool in one scenario."""

    seconds: list[float] = field(default_factory=list)
    peak_rss_kib: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        """Return median, min, max (seconds) and peak RSS (MiB)."""
        return {
            "median": statistics.median(self.seconds),
            "min": min(self.seconds),
            "max": max(self.seconds),
            "peak_rss_mib": max(self.peak_rss_kib) / 1024,
        }

    def runs(self) -> list[tuple[float, float]]:
        """Return each run's seconds and peak RSS (MiB), in the order they ran."""
        return [(seconds, rss / 1024) for seconds, rss in zip(self.seconds, self.peak_rss_kib, strict=True)]


def run_timed(command: Sequence[str], *, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Run a command to its end; return wall seconds and the peak RSS (KiB) of its process tree."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    errors = process.stderr.read() if process.stderr is not None else b""
    # wait4 gives this child's own resource usage (its reaped workers included),
    # where RUSAGE_CHILDREN would be the maximum over every child so far.
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if process.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{errors.decode(errors='replace')[-3000:]}")
    return elapsed, usage.ru_maxrss


class Trash:
    """Where the output folders of earlier runs wait until the harness ends.

    Deleting a run's ten thousand files just before the next run is timed
    makes that run pay for the deletion on some file systems: ext4 without a
    journal (this machine's disk) skips every inode freed in the last minute
    or more, one buffer look-up each, whenever it allocates a new one, so a
    cold build right after ``rm -rf`` of the previous output took up to
    several times as long to create its files as one that was not (the
    perf profile is in docs/benchmarks.md, "The machine"). A user's first
    build does not follow such a deletion; the folders are therefore moved
    aside (a rename frees no inode) and deleted when every run is over.
    ``--delete-between-runs`` deletes them at once, as the harness did before.
    """

    def __init__(self, folder: Path, *, delete_now: bool) -> None:
        self.folder = folder
        self.delete_now = delete_now
        self.count = 0

    def discard(self, path: Path) -> None:
        """Move a folder (or file) out of the way, or delete it with ``delete_now``."""
        if not path.exists():
            return
        if self.delete_now:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        path.rename(self.folder / f"{os.getpid()}-{self.count}-{path.name}")

    def empty(self) -> None:
        """Delete everything set aside, this run's and any an interrupted run left."""
        shutil.rmtree(self.folder, ignore_errors=True)


class Corpus:
    """A generated seeds folder of N seeds, its output folders and a Hugo site of the same articles."""

    def __init__(self, root: Path, size: int, trash: Trash) -> None:
        self.size = size
        self.trash = trash
        self.root = root / f"n{size}"
        self.seeds = self.root / "seeds"
        self.out = self.root / "public"
        self.bare_out = self.root / "bare"
        self.bare_site_out = self.root / "bare-site"
        self.hugo = self.root / "hugo"
        self.added: list[int] = []
        self.edited: list[int] = []
        self.removed: list[int] = []

    def ensure(self, *, with_hugo: bool) -> None:
        """Generate the corpus unless an identical one is already there."""
        stamp = self.root / "corpus.stamp"
        wanted = f"{GENERATOR_VERSION} {self.size}"
        if not (stamp.exists() and stamp.read_text(encoding="utf-8") == wanted):
            started = time.perf_counter()
            shutil.rmtree(self.root, ignore_errors=True)
            write_corpus(self.size, self.seeds)
            self._write_hugo_site()
            self.root.joinpath("corpus.stamp").write_text(wanted, encoding="utf-8")
            print(f"  generated {self.size:,} seeds in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        elif with_hugo and not (self.hugo / "hugo.toml").exists():
            self._write_hugo_site()
        self.restore()

    def _write_hugo_site(self) -> None:
        shutil.rmtree(self.hugo, ignore_errors=True)
        (self.hugo / "content" / "posts").mkdir(parents=True)
        (self.hugo / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
        for name, text in HUGO_LAYOUTS.items():
            path = self.hugo / "layouts" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for index in range(self.size):
            self.write_hugo_page(index)

    def write_hugo_page(self, index: int, *, edit: int = 0) -> None:
        """Write seed ``index`` as a Hugo page: front matter with its title and date, Markdown body."""
        seed = make_seed(index, edit=edit)
        title = json.dumps(seed.title, ensure_ascii=False)
        front = f"---\ntitle: {title}\ndate: {seed.day.isoformat()}T00:00:00+07:00\n---\n"
        body = "\n\n".join(seed.body)
        page = self.hugo / "content" / "posts" / (Path(seed.name).stem + ".md")
        page.write_text(front + body + "\n", encoding="utf-8")

    def restore(self) -> None:
        """Return the seeds folder to the generated corpus: no ledger, no added or edited seeds."""
        expected = {seed_name(i) for i in range(self.size)} | {"feed.toml"}
        for path in self.seeds.iterdir():
            if path.name not in expected:
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        for index in (*self.edited, *self.removed):
            self.seeds.joinpath(seed_name(index)).write_bytes(make_seed(index).data)
        (self.seeds / "feed.toml").write_text(FEED_TOML, encoding="utf-8")
        posts = self.hugo / "content" / "posts"
        if posts.exists():
            for index in self.added:
                posts.joinpath(Path(seed_name(index)).stem + ".md").unlink(missing_ok=True)
            for index in (*self.edited, *self.removed):
                self.write_hugo_page(index)
        self.added, self.edited, self.removed = [], [], []
        for folder in (self.out, self.bare_out, self.bare_site_out, self.hugo / "public", self.hugo / "resources"):
            self.trash.discard(folder)

    def add_seed(self, *, hugo: bool) -> None:
        """Add one new seed (the next index after the corpus and earlier additions)."""
        index = self.size + len(self.added)
        self.added.append(index)
        self.seeds.joinpath(seed_name(index)).write_bytes(make_seed(index).data)
        if hugo:
            self.write_hugo_page(index)

    def add_seeds(self, count: int, *, hugo: bool) -> None:
        """Add ``count`` new seeds at once."""
        for _ in range(count):
            self.add_seed(hugo=hugo)

    def edit_seed(self, run: int, *, hugo: bool) -> None:
        """Edit one seed, a different one on each run."""
        index = (run * 7919) % self.size
        self.edited.append(index)
        self.seeds.joinpath(seed_name(index)).write_bytes(make_seed(index, edit=run + 1).data)
        if hugo:
            self.write_hugo_page(index, edit=run + 1)

    def add_and_edit(self, run: int, *, hugo: bool) -> None:
        """Add one new seed and edit one seed (none the edit scenario touches) for the same rebuild."""
        self.add_seed(hugo=hugo)
        self.edit_seed(run + MIXED_EDITS, hugo=hugo)

    def remove_seed(self, run: int, *, hugo: bool) -> None:
        """Delete one seed of the corpus, a different one on each run (and none an edit touches)."""
        index = (run * 7919 + self.size // 2 + 1) % self.size
        self.removed.append(index)
        self.seeds.joinpath(seed_name(index)).unlink()
        if hugo:
            (self.hugo / "content" / "posts" / (Path(seed_name(index)).stem + ".md")).unlink()

    def clear_build_state(self) -> None:
        """Remove the ledger, the output folder (and with it the parse cache)."""
        expected_suffixes = (".txt", ".toml")
        for path in self.seeds.iterdir():
            if not path.name.endswith(expected_suffixes) or path.name.startswith("."):
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        self.trash.discard(self.out)


def measure(
    runs: int, before: Callable[[int], None], command: Sequence[str], env: dict[str, str] | None = None
) -> Timing:
    """Run ``before(run)`` untimed, then the command timed, ``runs`` times."""
    timing = Timing()
    for run in range(runs):
        before(run)
        seconds, rss = run_timed(command, env=env)
        timing.seconds.append(seconds)
        timing.peak_rss_kib.append(rss)
    return timing


def bench_size(
    corpus: Corpus,
    runs: int,
    *,
    hugo: str | None,
    build_args: Sequence[str],
    scenarios: Sequence[str],
    batch: int = 100,
) -> dict[str, dict[str, dict[str, float]]]:
    """Time every scenario on one corpus; return summaries by scenario and tool."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    seedfeed = [sys.executable, "-m", "seedfeed", "build", str(corpus.seeds), "--out", str(corpus.out), *build_args]
    results: dict[str, dict[str, dict[str, float]]] = {}

    def nothing(_run: int) -> None:
        return None

    def record(scenario: str, tool: str, timing: Timing) -> None:
        results.setdefault(scenario, {})[tool] = timing.summary()
        s = timing.summary()
        print(
            f"  {scenario:<6} {tool:<9} median {s['median']:8.3f} s  (min {s['min']:.3f}, max {s['max']:.3f})"
            f"  peak RSS {s['peak_rss_mib']:7.1f} MiB",
            file=sys.stderr,
        )
        each = ", ".join(f"{seconds:.3f} s {rss:.1f} MiB" for seconds, rss in timing.runs())
        print(f"  {'':<6} {'':<9} runs: {each}", file=sys.stderr)

    bare = [sys.executable, str(REPO / "benchmarks" / "bare_feedgen.py"), str(corpus.seeds), str(corpus.bare_out)]
    record("cold", "bare", measure(runs, nothing, bare))
    bare_site = [
        sys.executable,
        str(REPO / "benchmarks" / "bare_site.py"),
        str(corpus.seeds),
        str(corpus.bare_site_out),
    ]

    def clear_bare_site(_run: int) -> None:
        corpus.trash.discard(corpus.bare_site_out)

    record("cold", "bare-site", measure(runs, clear_bare_site, bare_site))

    if "cold" in scenarios:
        record("cold", "seedfeed", measure(runs, lambda _run: corpus.clear_build_state(), seedfeed, env))
    else:
        corpus.clear_build_state()
        run_timed(seedfeed, env=env)
    if "noop" in scenarios:
        record("noop", "seedfeed", measure(runs, nothing, seedfeed, env))
    if "new" in scenarios:
        record("new", "seedfeed", measure(runs, lambda _run: corpus.add_seed(hugo=False), seedfeed, env))
    if "edit" in scenarios:
        record("edit", "seedfeed", measure(runs, lambda run: corpus.edit_seed(run, hugo=False), seedfeed, env))
    if "remove" in scenarios:
        record("remove", "seedfeed", measure(runs, lambda run: corpus.remove_seed(run, hugo=False), seedfeed, env))
    if "cron" in scenarios:

        def add_and_wait(_run: int) -> None:
            corpus.add_seed(hugo=False)
            time.sleep(CRON_WAIT)

        record("cron", "seedfeed", measure(runs, add_and_wait, seedfeed, env))
    if "mixed" in scenarios:
        record("mixed", "seedfeed", measure(runs, lambda run: corpus.add_and_edit(run, hugo=False), seedfeed, env))
    if "batch" in scenarios:
        record("batch", "seedfeed", measure(runs, lambda _run: corpus.add_seeds(batch, hugo=False), seedfeed, env))
    corpus.restore()

    if hugo is not None:
        command = [hugo, "--quiet", "--source", str(corpus.hugo)]

        def clear_hugo(_run: int) -> None:
            for folder in (corpus.hugo / "public", corpus.hugo / "resources"):
                corpus.trash.discard(folder)

        if "cold" in scenarios:
            record("cold", "hugo", measure(runs, clear_hugo, command))
        else:
            clear_hugo(0)
            run_timed(command)
        if "noop" in scenarios:
            record("noop", "hugo", measure(runs, nothing, command))
        if "new" in scenarios:
            record("new", "hugo", measure(runs, lambda _run: corpus.add_seed(hugo=True), command))
        if "edit" in scenarios:
            record("edit", "hugo", measure(runs, lambda run: corpus.edit_seed(run, hugo=True), command))
        if "remove" in scenarios:
            record("remove", "hugo", measure(runs, lambda run: corpus.remove_seed(run, hugo=True), command))
        if "mixed" in scenarios:
            record("mixed", "hugo", measure(runs, lambda run: corpus.add_and_edit(run, hugo=True), command))
        if "batch" in scenarios:
            record("batch", "hugo", measure(runs, lambda _run: corpus.add_seeds(batch, hugo=True), command))
        corpus.restore()
    return results


def render_markdown(size: int, results: dict[str, dict[str, dict[str, float]]]) -> str:
    """Return one size's figures as a Markdown table."""
    lines = [
        f"#### N = {size:,}",
        "",
        "| scenario | tool | median (s) | min–max (s) | peak RSS (MiB) | Hugo ÷ seedfeed |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for scenario in SCENARIOS:
        tools = results.get(scenario, {})
        for tool in ("seedfeed", "hugo", "bare", "bare-site"):
            if tool not in tools:
                continue
            s = tools[tool]
            ratio = ""
            if tool == "hugo" and "seedfeed" in tools:
                ratio = f"{s['median'] / tools['seedfeed']['median']:.1f}×"
            lines.append(
                f"| {scenario} | {tool} | {s['median']:.3f} | {s['min']:.3f}–{s['max']:.3f}"
                f" | {s['peak_rss_mib']:.0f} | {ratio} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the benchmarks the command line asks for."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, action="append", help="corpus size N (repeatable; default 1000 and 10000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per scenario (default 5)")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="scenarios to time (default all)")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "seedfeed-bench",
        help="where corpora are generated and kept",
    )
    parser.add_argument("--no-hugo", action="store_true", help="skip Hugo even when it is on PATH")
    parser.add_argument(
        "--build-arg",
        action="append",
        default=[],
        help="extra argument for seedfeed build (repeatable), e.g. --build-arg=--jobs=2",
    )
    parser.add_argument("--batch", type=int, default=100, help="new seeds of the batch scenario (default 100)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--delete-between-runs",
        action="store_true",
        help="delete each run's output before the next run rather than when the harness ends (see Trash)",
    )
    args = parser.parse_args()
    sizes = args.size or [1000, 10000]
    scenarios = args.scenario or list(SCENARIOS)
    hugo = None if args.no_hugo else shutil.which("hugo")
    if hugo is None and not args.no_hugo:
        print("hugo is not on PATH: timing seedfeed only", file=sys.stderr)

    # An installed package has its modules compiled (pip does it); a source tree
    # run with PYTHONDONTWRITEBYTECODE set would compile every module on every
    # run, which no user's build pays. Compile once, as an install would.
    compileall.compile_dir(REPO / "src", quiet=1)
    report: dict[str, object] = {"runs": args.runs, "python": sys.version.split()[0], "sizes": {}}
    markdown: list[str] = []
    trash = Trash(args.work / "trash", delete_now=args.delete_between_runs)
    try:
        for size in sizes:
            print(f"N = {size:,}", file=sys.stderr)
            corpus = Corpus(args.work, size, trash)
            corpus.ensure(with_hugo=hugo is not None)
            results = bench_size(
                corpus, args.runs, hugo=hugo, build_args=args.build_arg, scenarios=scenarios, batch=args.batch
            )
            report["sizes"][str(size)] = results  # type: ignore[index]  # built here as a dict
            markdown.append(render_markdown(size, results))
    finally:
        trash.empty()
    print("\n".join(markdown))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
