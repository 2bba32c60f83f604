"""The baseline for bench/drift: pandas.read_csv + scipy.stats.ks_2samp per feature (end to end),
and ks_2samp alone on in-memory numpy arrays. Prints JSON lines like bench/drift-child.cjs."""
import json
import resource
import sys
import time

import pandas as pd
from scipy import stats

mode, ref, cur, ncols = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
names = [f"f{i}" for i in range(ncols)]
if mode == 'report':
    t = time.perf_counter()
    a, b = pd.read_csv(ref), pd.read_csv(cur)
    drifted = sum(1 for n in names if stats.ks_2samp(a[n].dropna(), b[n].dropna()).pvalue <= 0.05)
    ms = (time.perf_counter() - t) * 1000
    print(json.dumps({'ms': ms, 'rssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'drifted': drifted}))
else:
    a, b = pd.read_csv(ref), pd.read_csv(cur)
    cols = [(a[n].to_numpy(), b[n].to_numpy()) for n in names]
    t = time.perf_counter()
    s = sum(stats.ks_2samp(x, y).statistic for x, y in cols)
    print(json.dumps({'ms': (time.perf_counter() - t) * 1000, 'check': s}))
