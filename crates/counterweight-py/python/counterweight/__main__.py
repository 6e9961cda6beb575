"""``python -m counterweight sweep ...``: a sweep, locally or on a Dask cluster
(``--scheduler tcp://host:8786``), for people who never write Python. The options are
those of ``counterweight sweep``."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m counterweight", description=__doc__)
    sub = ap.add_subparsers(dest="verb", required=True)
    s = sub.add_parser("sweep", help="run a scenario over a grid of parameter values")
    s.add_argument("scenario", help="a scenario file or the name of an embedded example")
    s.add_argument("--vary", action="append", required=True, metavar="KEY=SPEC",
                   help="KEY=START:STOP:STEP, KEY=V1,V2 or KEY=log:START:STOP:N (repeatable)")
    s.add_argument("--zip", action="store_true", help="pair the i-th values instead of crossing them")
    s.add_argument("--sample", metavar="lhs:N", help="a Latin hypercube of N points")
    s.add_argument("--replicates", type=int, metavar="N",
                   help="replicates per point (default: the scenario's)")
    s.add_argument("--out", help="the sweep directory (resumed when it holds the same sweep)")
    s.add_argument("--seed", type=int, help="master seed")
    s.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario field for every run (repeatable)")
    s.add_argument("--threads", type=int, metavar="N", help="local worker threads")
    s.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on this Dask scheduler (e.g. tcp://host:8786) instead of locally")
    s.add_argument("--chunk", type=int, metavar="RUNS", help="runs per Dask task")
    s.add_argument("--shared", action="store_true",
                   help="--out is on a file system every Dask worker shares: workers write the parts")
    s.add_argument("--quiet", "-q", action="store_true", help="no progress and no summary")
    return ap


def main(argv: Optional[List[str]] = None) -> int:
    import counterweight as cw

    args = _parser().parse_args(argv)
    if not args.out:
        # As `counterweight sweep`: runs/<name>-sweep-<timestamp>/.
        import time

        from counterweight._sweep import plan

        try:
            name = plan(args.scenario, args.vary, zip=args.zip, sample=args.sample,
                        replicates=args.replicates, seed=args.seed, set=args.set).name
        except (cw.CounterweightError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        args.out = f"runs/{name}-sweep-{time.strftime('%Y%m%d-%H%M%S')}"
    common = dict(
        zip=args.zip,
        sample=args.sample,
        replicates=args.replicates,
        out=args.out,
        seed=args.seed,
        set=args.set,
        progress=False if args.quiet else None,
        pictures=True,
    )
    try:
        if args.scheduler:
            from counterweight import dask as cwdask

            sw = cwdask.sweep(args.scenario, args.vary, client=args.scheduler,
                              chunk=args.chunk, shared=args.shared, **common)
        else:
            sw = cw.sweep(args.scenario, args.vary, threads=args.threads, **common)
    except KeyboardInterrupt:
        print("error: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except (cw.ScenarioError, cw.SweepError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except cw.CounterweightError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        where = f"; results: {sw.out}/results.csv; report: {sw.out}/report.html" if sw.out else ""
        print(f"{sw.runs} runs ({sw.failed} failed, {sw.stopped} stopped at stop_at_share){where}")
        if sw.failures:
            print(f"first failure: {sw.failures[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
