"""Baseline for bench/catalog: pandas read_csv of the same catalog files, as SkyPilot loads them
(sky/catalog/common.py: pd.read_csv(path), default options). Prints one JSON line."""
import gc
import json
import os
import sys
import time

import pandas as pd  # imported before timing: only read_csv is measured


def rss() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


files = sys.argv[1:]
gc.collect()
r0 = rss()
c0 = time.process_time()
t0 = time.perf_counter()
frames = [pd.read_csv(f) for f in files]
t1 = time.perf_counter()
c1 = time.process_time()
gc.collect()
r1 = rss()
print(json.dumps({
    'loadMs': (t1 - t0) * 1000,
    'cpuMs': (c1 - c0) * 1000,
    'rows': sum(len(df) for df in frames),
    'deepBytes': int(sum(df.memory_usage(deep=True).sum() for df in frames)),
    'rssBytes': r1 - r0,
    'pandas': pd.__version__,
}))
