"""`make drills`: every fault drill of issue 22 against the production shape, one table.

    python -m tests.drills [--only smtp_digest,kill_sending] [--strict] [--scale 20] [--patient]

Prints progress on stderr, then the table and, as its last line, JSON:
``{"drills": {"<name>": {"expected", "delivered", "duplicates", "lost", "recovery_s",
"errors_5xx", "limit_s", "ok"}}}``. Exits 0 whatever the drills measured (a drill that is
not ok is a result), 1 with ``--strict`` when a drill is not ok, 2 when the harness broke.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DATABASE_URL", DEFAULT_SERVER)
    from tests.drills.harness import DRILLS, Drills, Size, json_line, missing_pieces, say, table

    parser = argparse.ArgumentParser(
        prog="python -m tests.drills", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--only", default="", help="comma-separated drills: " + ", ".join(DRILLS))
    parser.add_argument("--strict", action="store_true", help="exit 1 when a drill is not ok")
    parser.add_argument(
        "--scale", type=float, default=20, help="time compression of the mail timings (20)"
    )
    parser.add_argument(
        "--patient",
        action="store_true",
        help="wait for mail later than its limit (the broker's visibility timeout)",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(DRILLS)
    unknown = [n for n in names if n not in DRILLS]
    if unknown:
        parser.error(f"unknown drills {unknown}; known: {', '.join(DRILLS)}")
    missing = missing_pieces()
    if missing:
        say("cannot run: " + "; ".join(missing))
        return 2
    started = time.monotonic()
    load = os.getloadavg()
    size = Size()  # the numbers; nobody made for drills that do not run
    if "smtp_briefing" not in names:
        size.briefing_readers = 0
    if not {"smtp_digest", "kill_digest_writing", "kill_sending"} & set(names):
        size.digest_readers = 0
    if "broker_down" not in names:
        size.watchers = 0
    drills = Drills(scale=args.scale, size=size, patient=args.patient)
    results = []
    try:
        drills.start()
        for name in names:
            results.append(drills.run(name))
    finally:
        drills.stop()
    say(
        f"{len(results)} drills in {time.monotonic() - started:.0f} s; load average "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} before, "
        "{:.2f} / {:.2f} / {:.2f} after".format(*os.getloadavg())
    )
    print(table(results))
    print(json_line(results))
    sys.stdout.flush()
    if any(r.error for r in results):
        return 2
    if args.strict and not all(r.ok for r in results):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
