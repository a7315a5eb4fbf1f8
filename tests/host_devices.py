"""Run a script that needs several host devices in a subprocess (XLA reads its device
count before jax starts, so the tests' own process cannot have 8 CPU devices)."""

import json
import subprocess
import sys


def run_result(script: str, timeout: float = 600) -> dict:
    """Run `script` with this interpreter; it must print one line ``RESULT <json>``.
    Returns the decoded JSON; fails the test with the script's stderr otherwise."""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=timeout)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and line, proc.stderr[-3000:]
    return json.loads(line[-1][len("RESULT "):])
