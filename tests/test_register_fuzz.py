"""Fuzzing: no register, however broken, ends in a traceback, a hang or unbounded memory.

Each mutant is one of the bundled examples' registers, mutated once to a few times, at the
level of its data (a key deleted, a value of another type, ids swapped, huge numbers, unicode,
deep nesting) or of its text (aliases, a key written twice, tabs, a BOM, binary bytes, a cut).
It goes through ``check`` and, when check accepts it, through ``lint``, ``policy``, ``ropa``
and ``plan``; when check refuses it, through one of them, which must refuse it as cleanly.
Every run is in this process, through ``registre.cli.main``, as a user runs it, and must end
with exit code 0, 1 or 2, a message when it fails, no traceback, within a time and memory bound.

CI runs a few dozen derandomized mutants (under a minute on two busy cores). The long campaign
reported in benchmarks/RESULTS.md is this module run as a script::

    python tests/test_register_fuzz.py --mutants 10000 --minutes 30 --seed 1
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(path.parent.name for path in (ROOT / "examples").glob("*/register.yaml"))
ANCHOR = "2026-11-01"

RUN_SECONDS = 30.0
"""A run's time bound. A mutant is at most a few tens of KB and runs in well under a second
on an idle machine; the bound is loose because CI shares two cores with other jobs."""
RUN_MEGABYTES = 1024
"""How far one run may raise the process's peak memory (the alias bomb took 12 GB)."""

# -- mutations ------------------------------------------------------------------------------------

Data = Any
NASTY_TEXTS = [
    "",
    " ",
    "é" * 3,
    "\u202e\u0645\u0631\u062d\u0628\u0627",  # right-to-left override, Arabic
    "\u200b\u200d\ufeff",  # zero-width characters and a BOM inside
    "🇫🇷👩‍⚖️",
    "a\x85b\u2028c",  # line separators YAML knows
    "{{ 7*7 }} <script>x</script> ';DROP TABLE x;--",
    "x" * 5000,
    "2026-02-30",
    "P99999999999999999999Y",
    "999999999999999999999999999999 months after account_deleted",
    "3000 years after account_deleted",
    "immediately after ",
    "~",
    "*undefined",
    "&anchor",
    "null",
    "NaN",
]


def nasty_value(rng: random.Random, around: Data) -> Data:
    """A value of another type or shape than ``around``, or an extreme one of the same."""
    choices: list[Callable[[], Data]] = [
        lambda: rng.choice(NASTY_TEXTS),
        lambda: rng.choice([0, -1, 1, 2**31, -(2**63), 10 ** rng.randint(20, 400)]),
        lambda: rng.choice([0.5, -0.0, float("inf"), float("-inf"), float("nan"), 1e308]),
        lambda: rng.choice([True, False, None]),
        lambda: [],
        lambda: {},
        lambda: [around],
        lambda: {"x": around},
        lambda: [around, around],
        lambda: "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 40))),
    ]
    if isinstance(around, str):
        choices.append(lambda: around.upper())
        choices.append(lambda: around + " " + around)
        choices.append(lambda: around[: rng.randint(0, len(around))])
    return rng.choice(choices)()


def containers(data: Data) -> list[Data]:
    """Every mapping and list in the data, outermost first."""
    found, stack, seen = [], [data], set()
    while stack:
        node = stack.pop()
        if isinstance(node, dict | list) and id(node) not in seen:
            seen.add(id(node))
            found.append(node)
            stack.extend(node.values() if isinstance(node, dict) else node)
    return found


def all_keys(data: Data) -> list[str]:
    return [str(key) for node in containers(data) if isinstance(node, dict) for key in node]


def slot(rng: random.Random, data: Data) -> tuple[Data, Any] | None:
    """A random (container, key or index) in the data."""
    filled = [node for node in containers(data) if node]
    if not filled:
        return None
    node = rng.choice(filled)
    key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
    return node, key


def delete_key(rng: random.Random, data: Data) -> None:
    if (found := slot(rng, data)) is not None:
        node, key = found
        del node[key]


def change_type(rng: random.Random, data: Data) -> None:
    if (found := slot(rng, data)) is not None:
        node, key = found
        node[key] = nasty_value(rng, node[key])


def swap_ids(rng: random.Random, data: Data) -> None:
    """Rename a key to another key of the register, or give a value another key's name."""
    keys = all_keys(data)
    maps = [node for node in containers(data) if isinstance(node, dict) and node]
    if not keys or not maps:
        return
    node = rng.choice(maps)
    old = rng.choice(list(node))
    if rng.random() < 0.5:
        value = node.pop(old)
        node[rng.choice(keys)] = value
    else:
        node[old] = rng.choice(keys)


def huge_numbers(rng: random.Random, data: Data) -> None:
    """Every number in a random value made huge, digits in texts too ('6 months')."""
    if (found := slot(rng, data)) is None:
        return
    node, key = found
    value = node[key]
    huge = str(10 ** rng.randint(6, 60))
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        node[key] = int(huge)
    elif isinstance(value, str):
        node[key] = "".join(huge if char.isdigit() else char for char in value)


def deep_nesting(rng: random.Random, data: Data) -> None:
    if (found := slot(rng, data)) is None:
        return
    node, key = found
    value = node[key]
    for _ in range(rng.choice([2, 20, 90, 150, 400])):
        value = [value] if rng.random() < 0.5 else {"x": value}
    node[key] = value


DATA_MUTATIONS = [delete_key, change_type, swap_ids, huge_numbers, deep_nesting]


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or [""]


def alias_bomb(rng: random.Random, text: str) -> str:
    width, depth = rng.choice([(10, 9), (3, 25), (2, 40), (100, 4)])
    bomb = [f"bomb{rng.randint(0, 9)}:", "  l0: &l0 [lol, lol]"]
    bomb += [f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]" for n in range(1, depth)]
    if rng.random() < 0.5:
        bomb.append(f"  l{depth - 1}: *l{depth - 1}")  # the key written twice
    lines = _lines(text)
    at = rng.choice([0, len(lines)])
    return "".join(lines[:at]) + "\n".join(bomb) + "\n" + "".join(lines[at:])


def anchors(rng: random.Random, text: str) -> str:
    """An anchor on a section's value, used by an alias elsewhere, or an undefined alias."""
    lines = _lines(text)
    sections = [
        i for i, line in enumerate(lines) if line[:1].isalpha() and line.rstrip().endswith(":")
    ]
    if sections and rng.random() < 0.7:
        i = rng.choice(sections)
        lines[i] = lines[i].rstrip("\n") + " &sect\n"
        j = rng.randrange(len(lines))
        lines.insert(j, f"{'  ' * rng.randint(0, 3)}alias_{j}: *sect\n")
    else:
        j = rng.randrange(len(lines))
        lines[j] = lines[j].replace(": ", ": *nowhere ", 1)
    return "".join(lines)


def duplicate_line(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines.insert(i + rng.choice([1, 2, 5]), lines[i])
    return "".join(lines)


def tabs(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    stripped = lines[i].lstrip(" ")
    lines[i] = "\t" * rng.randint(1, 3) + stripped
    return "".join(lines)


def bom(rng: random.Random, text: str) -> str:
    at = 0 if rng.random() < 0.6 else rng.randrange(len(text) + 1)
    return text[:at] + "\ufeff" + text[at:]


def unicode_noise(rng: random.Random, text: str) -> str:
    at = rng.randrange(len(text) + 1)
    noise = rng.choice(
        ["\x00", "\x07", "\x1b[31m", "\u2028", "\x85", "\ud800", "🙂", "\u0301", "\uffff", "\r"]
    )
    return text[:at] + noise * rng.randint(1, 3) + text[at:]


def cut(rng: random.Random, text: str) -> str:
    return text[: rng.randrange(len(text) + 1)]


def shuffle_lines(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    if rng.random() < 0.3:
        del lines[rng.randrange(len(lines))]
    return "".join(lines)


TEXT_MUTATIONS = [alias_bomb, anchors, duplicate_line, tabs, bom, unicode_noise, cut, shuffle_lines]


def mutate(rng: random.Random, text: str) -> tuple[bytes, list[str]]:
    """The register's text mutated one to three times; the bytes to write and what was done."""
    from ruamel.yaml import YAML

    done: list[str] = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        # ruamel would build an alias bomb (and format it in a duplicate key's message)
        if rng.random() < 0.55 and "*" not in text:
            mutation = rng.choice(DATA_MUTATIONS)
            yaml = YAML(typ="rt")
            yaml.width = 4096
            try:
                data = yaml.load(text)
            except Exception:  # an earlier text mutation broke it: mutate the text instead
                data = None
            if isinstance(data, dict):
                mutation(rng, data)
                out = io.StringIO()
                try:
                    yaml.dump(data, out)
                except RecursionError:
                    continue
                text = out.getvalue()
                done.append(mutation.__name__)
                continue
        mutation = rng.choice(TEXT_MUTATIONS)
        text = mutation(rng, text)
        done.append(mutation.__name__)
    raw = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.05:
        at = rng.randrange(len(raw) + 1)
        raw = raw[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))) + raw[at:]
        done.append("binary")
    return raw, done


# -- running the commands -------------------------------------------------------------------------


@dataclass
class Run:
    command: str
    code: int | str
    seconds: float
    megabytes: float
    output: str

    @property
    def failure(self) -> str | None:
        """Why this run breaks the promise, or None."""
        if self.code not in (0, 1, 2):
            return f"exit {self.code}"
        if "Traceback" in self.output:
            return "a traceback"
        if self.code != 0 and not self.output.strip():
            return "failed without a message"
        if self.seconds > RUN_SECONDS:
            return f"{self.seconds:.1f} s"
        if self.megabytes > RUN_MEGABYTES:
            return f"{self.megabytes:.0f} MB more memory"
        return None


def _peak_megabytes() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_registre(*args: str) -> Run:
    """``registre ARGS`` in this process, as the console script runs it."""
    from registre.cli import main

    saved = sys.argv
    sys.argv = ["registre", *args]
    output = io.StringIO()
    before = _peak_megabytes()
    started = time.perf_counter()
    code: int | str = 0
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # the promise is broken: keep what would reach the user
        code = "traceback"
        output.write(traceback.format_exc())
    finally:
        sys.argv = saved
    return Run(
        args[0],
        code,
        time.perf_counter() - started,
        _peak_megabytes() - before,
        output.getvalue(),
    )


@dataclass
class Bench:
    """A folder to run in, with a store database per example that has one."""

    folder: Path
    stores: dict[str, tuple[str, str]] = field(default_factory=dict)  # example: (variable, url)

    def commands(self, register: Path, example: str, rng: random.Random) -> Iterator[list[str]]:
        out = self.folder / "out"
        state = f"sqlite:///{self.folder / 'state.sqlite'}"
        yield ["lint", str(register)]
        lang, form = rng.choice([("fr", "md"), ("en", "html"), ("en", "md"), ("fr", "html")])
        yield ["policy", str(register), "--lang", lang, "--format", form]
        variant = rng.choice(["both", "controller", "processor"])
        form = "xlsx" if rng.random() < 0.3 else "csv"
        yield ["ropa", str(register), "-o", str(out), "--format", form, "--variant", variant]
        url = self.stores.get(example, ("", f"sqlite:///{self.folder / 'empty.sqlite'}"))[1]
        yield ["plan", str(register), "--at", ANCHOR, "--url", url, "--state-url", state]


def run_mutant(bench: Bench, example: str, raw: bytes, rng: random.Random) -> list[Run]:
    register = bench.folder / "register.yaml"
    register.write_bytes(raw)
    runs = [run_registre("check", str(register))]
    others = list(bench.commands(register, example, rng))
    if runs[0].code == 0:
        runs.extend(run_registre(*args) for args in others)
    else:
        runs.append(run_registre(*rng.choice(others)))
    return runs


def example_text(example: str) -> str:
    return (ROOT / "examples" / example / "register.yaml").read_text(encoding="utf-8")


def store_databases(folder: Path, examples: list[str], subjects: int = 8) -> dict[str, Any]:
    """A small synthetic database for each example that ships a generator."""
    from registre._exceptions import RegisterError
    from registre.register.loader import load_register

    stores = {}
    for example in examples:
        if not (ROOT / "examples" / example / "app.py").exists():
            continue
        url = f"sqlite:///{folder / (example + '.sqlite')}"
        code = run_registre(
            "demo-data", str(ROOT / "examples" / example), "--url", url, "--subjects", str(subjects)
        ).code
        try:
            register = load_register(ROOT / "examples" / example / "register.yaml")
        except RegisterError:
            continue
        if code == 0 and register.stores:
            stores[example] = (next(iter(register.stores.values())).url_env, url)
    return stores


# -- the test -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Bench:
    folder = tmp_path_factory.mktemp("fuzz")
    # one store database: the others' plans refuse an empty database, cleanly
    return Bench(folder, store_databases(folder, ["device-management"], subjects=4))


@settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(example=st.sampled_from(EXAMPLES), seed=st.integers(0, 2**32 - 1))
def test_no_mutant_ends_in_a_traceback_a_hang_or_a_leak(
    bench: Bench, monkeypatch: pytest.MonkeyPatch, example: str, seed: int
) -> None:
    rng = random.Random(seed)
    raw, done = mutate(rng, example_text(example))
    for variable, url in bench.stores.values():
        monkeypatch.setenv(variable, url)
    monkeypatch.delenv("REGISTRE_STATE_URL", raising=False)

    for run in run_mutant(bench, example, raw, rng):
        assert run.failure is None, (
            f"{run.command} on {example} mutated by {done} (seed {seed}): {run.failure}\n"
            f"{run.output[-3000:]}"
        )


def test_the_mutations_break_registers_and_keep_some_valid(bench: Bench) -> None:
    """The fuzz test can fail: its mutants reach past check, and check refuses most."""
    rng = random.Random(7)
    codes = []
    for _ in range(12):
        raw, _ = mutate(rng, example_text("scheduling-assistant"))
        (bench.folder / "probe.yaml").write_bytes(raw)
        codes.append(run_registre("check", str(bench.folder / "probe.yaml")).code)
    assert set(codes) == {0, 1}, codes


# -- the long campaign ----------------------------------------------------------------------------


def campaign(mutants: int, minutes: float, seed: int, folder: Path, report: Path) -> dict[str, Any]:
    """Run mutants until either bound; write figures to ``report`` as JSON along the way."""
    folder.mkdir(parents=True, exist_ok=True)
    stores = store_databases(folder, EXAMPLES)
    for variable, url in stores.values():
        os.environ[variable] = url
    os.environ.pop("REGISTRE_STATE_URL", None)
    bench = Bench(folder, stores)
    texts = {example: example_text(example) for example in EXAMPLES}
    rng = random.Random(seed)
    figures: dict[str, Any] = {
        "seed": seed,
        "mutants": 0,
        "runs": 0,
        "outcomes": {},
        "mutations": {},
        "slowest": None,
        "peak_rss_mb": 0.0,
        "failures": [],
    }
    stop = time.monotonic() + minutes * 60
    while figures["mutants"] < mutants and time.monotonic() < stop:
        example = rng.choice(EXAMPLES)
        mutant_seed = rng.randrange(2**32)
        mutant_rng = random.Random(mutant_seed)
        raw, done = mutate(mutant_rng, texts[example])
        figures["mutants"] += 1
        for name in done:
            figures["mutations"][name] = figures["mutations"].get(name, 0) + 1
        for run in run_mutant(bench, example, raw, mutant_rng):
            figures["runs"] += 1
            outcome = f"{run.command} exit {run.code}"
            figures["outcomes"][outcome] = figures["outcomes"].get(outcome, 0) + 1
            slowest = figures["slowest"]
            if slowest is None or run.seconds > slowest["seconds"]:
                figures["slowest"] = {
                    "seconds": round(run.seconds, 2),
                    "command": run.command,
                    "example": example,
                    "seed": mutant_seed,
                    "mutations": done,
                }
            if run.failure is not None:
                kept = folder / f"failure-{len(figures['failures'])}.yaml"
                kept.write_bytes(raw)
                figures["failures"].append(
                    {
                        "why": run.failure,
                        "command": run.command,
                        "example": example,
                        "seed": mutant_seed,
                        "mutations": done,
                        "register": str(kept),
                        "output": run.output[-2000:],
                    }
                )
        figures["peak_rss_mb"] = round(_peak_megabytes(), 1)
        if figures["mutants"] % 100 == 0:
            report.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    report.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The long fuzz campaign of issue 11.")
    parser.add_argument("--mutants", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--folder", type=Path, default=Path("fuzz-campaign"))
    parser.add_argument("--memory-limit-gb", type=float, default=4)
    options = parser.parse_args()
    limit = int(options.memory_limit_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))  # a blow-up is a MemoryError, caught
    started = time.monotonic()
    result = campaign(
        options.mutants,
        options.minutes,
        options.seed,
        options.folder,
        options.folder / "figures.json",
    )
    result["seconds"] = round(time.monotonic() - started)
    (options.folder / "figures.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "failures"}, indent=1))
    print(f"{len(result['failures'])} failures", file=sys.stderr)
