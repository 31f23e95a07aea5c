#!/usr/bin/env python3
"""Compare two benchmark files (schema quiesce-bench/1, see docs/BENCH.md).

    compare.py OLD.json NEW.json [--band 0.10] [--warn-only] [--only PREFIX]

For every figure present in both files, prints OLD, NEW and NEW/OLD, and
flags a figure whose change is worse than the noise band (default 10 %):
for a "lower is better" figure NEW/OLD > 1 + band, for a "higher is
better" one NEW/OLD < 1 - band. Improvements beyond the band are marked
too, but only regressions count. Figures in only one file are listed.

Exit status: 0 no regression beyond the band (or --warn-only), 1 at least
one regression, 2 bad input (unreadable file, wrong schema, bad option).
Python 3 standard library only.
"""

import argparse
import json
import sys

SCHEMA = "quiesce-bench/1"


def load(path):
    """The figures of one file: {key: (value or None, unit, better)}."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit(f"compare.py: {path}: {e}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise SystemExit(f"compare.py: {path}: not a {SCHEMA} file")
    figures = doc.get("figures")
    if not isinstance(figures, dict):
        raise SystemExit(f"compare.py: {path}: no \"figures\" object")
    out = {}
    for key, fig in figures.items():
        if not isinstance(fig, dict) or fig.get("better") not in ("lower", "higher"):
            raise SystemExit(f"compare.py: {path}: figure {key!r} lacks value/unit/better")
        value = fig.get("value")
        if value is not None and not isinstance(value, (int, float)):
            raise SystemExit(f"compare.py: {path}: figure {key!r} has a non-numeric value")
        out[key] = (value, fig.get("unit", ""), fig["better"])
    return doc.get("meta", {}), out


def describe(meta):
    machine = meta.get("machine", {})
    return "{} on {} ({}, {} cores)".format(
        meta.get("date", "?"), machine.get("uname", "?"), machine.get("cpu_model", "?"),
        machine.get("cores", "?"))


def fmt(value):
    if value is None:
        return "n/a"
    if abs(value) >= 1e5:
        return f"{value:.4g}"
    return f"{value:.4g}"


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Compare two quiesce-bench/1 files; flag figures beyond the noise band.")
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--band", type=float, default=0.10,
                    help="noise band as a fraction (default 0.10 = 10%%)")
    ap.add_argument("--warn-only", action="store_true",
                    help="report regressions but exit 0")
    ap.add_argument("--only", metavar="PREFIX", default="",
                    help="compare only figures whose key starts with PREFIX (e.g. c.read_)")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if not 0 <= args.band < 1:
        print("compare.py: --band must be in [0, 1)", file=sys.stderr)
        return 2
    try:
        old_meta, old = load(args.old)
        new_meta, new = load(args.new)
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 2

    print(f"old: {args.old}: {describe(old_meta)}")
    print(f"new: {args.new}: {describe(new_meta)}")
    print(f"noise band: {args.band:.0%}\n")
    keys = sorted(k for k in set(old) | set(new) if k.startswith(args.only))
    width = max([len(k) for k in keys] + [6])
    print(f"{'figure':<{width}} {'old':>10} {'new':>10} {'new/old':>8}  verdict")
    regressions = []
    for key in keys:
        if key not in old or key not in new:
            where = "new" if key in new else "old"
            print(f"{key:<{width}} {'':>10} {'':>10} {'':>8}  only in {where}")
            continue
        (ov, unit, better), (nv, _, nbetter) = old[key], new[key]
        if better != nbetter:
            print(f"{key:<{width}} {fmt(ov):>10} {fmt(nv):>10} {'':>8}  "
                  f"direction differs ({better} / {nbetter}): skipped")
            continue
        if ov is None or nv is None or ov == 0:
            print(f"{key:<{width}} {fmt(ov):>10} {fmt(nv):>10} {'':>8}  not comparable")
            continue
        ratio = nv / ov
        worse = ratio > 1 + args.band if better == "lower" else ratio < 1 - args.band
        better_now = ratio < 1 - args.band if better == "lower" else ratio > 1 + args.band
        verdict = "REGRESSED" if worse else ("improved" if better_now else "")
        if worse:
            regressions.append(key)
        print(f"{key:<{width}} {fmt(ov):>10} {fmt(nv):>10} {ratio:>8.3f}  {verdict}".rstrip())
    print()
    if regressions:
        print(f"{len(regressions)} figure(s) regressed beyond {args.band:.0%}: "
              + ", ".join(regressions))
        return 0 if args.warn_only else 1
    print(f"no figure regressed beyond {args.band:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
