"""Benchmark the business-time engine against the slow walking reference, in the same run.

    python bench/business_time.py [--calls 200000] [--reference-calls 40] [--seed 1]

Calendar: the cn-workdays preset (Asia/Shanghai, 09:00-12:00 and 13:00-18:00, holidays and
make-up workdays). Instants: uniform random seconds over 2024-01-01 .. 2026-12-31 local time;
``add`` gets 0..2400 minutes (up to five working days), ``elapsed`` spans 0..10 calendar days.
The engine is timed on ``--calls`` calls (best of three passes), each reference on the first
``--reference-calls`` of the same inputs, whose answers must match the engine's. Targets:
>= 200,000 add calls/s and >= 1,000x the walking reference.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from serviceloop.core.business_time import BusinessCalendar  # noqa: E402
from serviceloop.core.calendar_presets import preset_spec  # noqa: E402
from serviceloop.core.tests.business_time_reference import ReferenceCalendar  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADD_TARGET = 200_000
SPEED_UP_TARGET = 1_000


def best_rate(function, arguments, passes: int = 3) -> float:
    """Calls per second of ``function(*a)`` over ``arguments``, best of ``passes``."""
    best = float("inf")
    for _ in range(passes):
        began = time.perf_counter()
        for args in arguments:
            function(*args)
        best = min(best, time.perf_counter() - began)
    return len(arguments) / best


def rate(function, arguments) -> tuple[float, list]:
    began = time.perf_counter()
    results = [function(*args) for args in arguments]
    return len(arguments) / (time.perf_counter() - began), results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--reference-calls", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    spec = preset_spec("cn-workdays")
    engine = BusinessCalendar(spec)
    rng = random.Random(options.seed)
    first = int(datetime(2024, 1, 1, tzinfo=SHANGHAI).timestamp())
    last = int(datetime(2027, 1, 1, tzinfo=SHANGHAI).timestamp())
    starts = [
        datetime.fromtimestamp(rng.randrange(first, last), SHANGHAI) for _ in range(options.calls)
    ]
    adds = [(start, rng.randrange(0, 2401)) for start in starts]
    spans = [(start, start + timedelta(seconds=rng.randrange(0, 10 * 86_400))) for start in starts]

    began = time.perf_counter()
    engine.elapsed(datetime(2024, 1, 1, tzinfo=SHANGHAI), datetime(2027, 1, 11, tzinfo=SHANGHAI))
    build_ms = (time.perf_counter() - began) * 1000

    engine_add = best_rate(engine.add, adds)
    engine_elapsed = best_rate(engine.elapsed, spans)

    sample = options.reference_calls
    reference = ReferenceCalendar(spec)

    def walk_add(start, minutes):
        return reference.walk_add(int(start.timestamp()), minutes * 60)

    def walk_elapsed(start, end):
        return reference.walk_elapsed(int(start.timestamp()), int(end.timestamp()))

    def scan_add(start, minutes):
        return reference.scan_add(int(start.timestamp()), minutes * 60)

    def scan_elapsed(start, end):
        return reference.scan_elapsed(int(start.timestamp()), int(end.timestamp()))

    walk_add_rate, walked = rate(walk_add, adds[:sample])
    walk_elapsed_rate, counted = rate(walk_elapsed, spans[:sample])
    scan_add_rate, scanned = rate(scan_add, adds[:sample])
    scan_elapsed_rate, summed = rate(scan_elapsed, spans[:sample])

    expected_adds = [int(engine.add(*args).timestamp()) for args in adds[:sample]]
    expected_spans = [engine.elapsed_seconds(*args) for args in spans[:sample]]
    if not (walked == scanned == expected_adds and counted == summed == expected_spans):
        print("MISMATCH between the engine and the reference", file=sys.stderr)
        return 1

    rows = [
        ("engine add", options.calls, engine_add),
        ("walking reference add", sample, walk_add_rate),
        ("scanning reference add *", sample, scan_add_rate),
        ("engine elapsed", options.calls, engine_elapsed),
        ("walking reference elapsed", sample, walk_elapsed_rate),
        ("scanning reference elapsed *", sample, scan_elapsed_rate),
    ]
    print(
        f"business_time: cn-workdays, random instants 2024-2026 (Asia/Shanghai), "
        f"seed {options.seed}, Python {sys.version.split()[0]}"
    )
    print(f"one-off lazy build of 2024-2027 for a new calendar object: {build_ms:.1f} ms")
    print(f"{'':30}{'calls':>9}{'calls/s':>14}{'us/call':>12}")
    for label, calls, per_second in rows:
        print(f"{label:30}{calls:>9,}{per_second:>14,.0f}{1e6 / per_second:>12,.2f}")
    print("* scans day intervals cached by the walking runs: a linear scan, no walking")
    add_speed_up = engine_add / walk_add_rate
    elapsed_speed_up = engine_elapsed / walk_elapsed_rate
    print(
        f"speed-up over the walking reference: add {add_speed_up:,.0f}x, "
        f"elapsed {elapsed_speed_up:,.0f}x "
        f"(over the scanning one: add {engine_add / scan_add_rate:,.0f}x, "
        f"elapsed {engine_elapsed / scan_elapsed_rate:,.0f}x)"
    )
    verdict = {True: "met", False: "MISSED"}
    print(
        f"targets: add >= {ADD_TARGET:,} calls/s {verdict[engine_add >= ADD_TARGET]}; "
        f">= {SPEED_UP_TARGET:,}x the reference "
        f"{verdict[min(add_speed_up, elapsed_speed_up) >= SPEED_UP_TARGET]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
