"""Run every benchmark script in bench/ in turn (make bench)."""

import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in BENCH_DIR.glob("*.py") if p.name not in ("run_all.py", "__init__.py"))
    if not scripts:
        print("No benchmarks yet: bench/README.md says what each one will measure.")
        return 0
    failed = 0
    for script in scripts:
        print(f"== {script.name}", flush=True)
        failed += subprocess.run([sys.executable, str(script)], cwd=BENCH_DIR.parent).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
