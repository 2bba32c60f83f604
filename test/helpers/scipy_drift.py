"""Reference values for Gantry's drift statistics, computed by scipy itself (Debian python3-scipy).
Usage: scipy_drift.py SPEC.json  — SPEC: {"reference": path, "current": path, "columns": {name: kind}}
kind 'numeric': ks_2samp (method='auto'), wasserstein_distance / std(ref), and for low-cardinality
columns also jensenshannon and chisquare on value counts; kind 'categorical': jensenshannon
(base e) and chisquare(f_obs=cur, f_exp=ref*n_cur/n_ref) over the union of values, sorted.
Prints JSON {name: {...}}. Reads CSV with the csv module and JSONL with json: no pandas."""
import csv
import json
import math
import sys

import numpy as np
from scipy import stats
from scipy.spatial import distance

MISSING = {'', 'na', 'nan', 'null', 'none', 'n/a', '#n/a'}
# pandas reads these as ±inf; Evidently drops infinities with NaN (Gantry: missing values).
INFINITE = {'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity'}


def read(path):
    cols = {}
    if path.endswith('.jsonl'):
        with open(path) as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    for k, v in row.items():
                        cols.setdefault(k, []).append(v)
        return cols
    with open(path, newline='') as f:
        r = csv.reader(f)
        header = next(r)
        for name in header:
            cols[name] = []
        for row in r:
            if not row:
                continue
            if len(row) > len(header):
                continue  # as pandas with on_bad_lines='skip' (Gantry skips such rows and says so)
            for i, name in enumerate(header):
                cols[name].append(row[i] if i < len(row) else '')
    return cols


def present(values):
    def missing(v):
        if v is None:
            return True
        if isinstance(v, float) and not math.isfinite(v):
            return True
        return isinstance(v, str) and v.strip().lower() in (MISSING | INFINITE)

    return [v for v in values if not missing(v)]


def as_numbers(values):
    out = np.array([float(v) for v in present(values)], dtype=np.float64)
    return out[np.isfinite(out)]


def key(v):
    return v.strip() if isinstance(v, str) else str(v)


spec = json.load(open(sys.argv[1]))
ref, cur = read(spec['reference']), read(spec['current'])
out = {}
for name, kind in spec['columns'].items():
    res = {}
    if kind == 'numeric':
        a, b = as_numbers(ref[name]), as_numbers(cur[name])
        ks = stats.ks_2samp(a, b)
        res['ks'] = [float(ks.statistic), float(ks.pvalue)]
        res['wasserstein_norm'] = float(stats.wasserstein_distance(a, b) / max(np.std(a), 0.001))
        values_r, values_c = [key(v) for v in present(ref[name])], [key(v) for v in present(cur[name])]
    else:
        values_r, values_c = [key(v) for v in present(ref[name])], [key(v) for v in present(cur[name])]
    keys = sorted(set(values_r) | set(values_c))
    if len(keys) <= 50:
        cr = np.array([values_r.count(k) for k in keys], dtype=np.float64)
        cc = np.array([values_c.count(k) for k in keys], dtype=np.float64)
        res['jensenshannon'] = float(distance.jensenshannon(cr, cc))
        with np.errstate(divide='ignore', invalid='ignore'):
            chi = stats.chisquare(cc, cr * cc.sum() / cr.sum())
        res['chisquare'] = [float(chi.statistic), float(chi.pvalue)]
    out[name] = res


def clean(x):
    if isinstance(x, float) and not math.isfinite(x):
        return 'nan' if math.isnan(x) else ('inf' if x > 0 else '-inf')
    if isinstance(x, list):
        return [clean(v) for v in x]
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    return x


print(json.dumps(clean(out)))
