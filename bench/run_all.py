"""Run every bench/bench_*.py and write bench/results.json with machine details.

Each benchmark's ``main()`` returns its figures, with ratios against a baseline it measured
in the same run; this script only collects them.
"""

import importlib.metadata
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGES = ("flask", "sqlalchemy", "psycopg", "psycopg-binary", "aiosmtpd")


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        # The figures move with these releases as well as with our code.
        "packages": {name: importlib.metadata.version(name) for name in PACKAGES},
    }


def main() -> int:
    sys.path.insert(0, str(HERE.parent))
    results = {"machine": machine(), "benchmarks": {}}
    for path in sorted(HERE.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {path.stem}", flush=True)
        started = time.perf_counter()
        figures = module.main()
        figures["seconds"] = round(time.perf_counter() - started, 1)
        print(json.dumps(figures, indent=2), flush=True)
        results["benchmarks"][path.stem] = figures
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {HERE / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
