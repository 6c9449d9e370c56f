#!/usr/bin/env python3
"""Runs walbench --tiny --json and checks its output against what the
README promises: one JSON object per line, each with its engine and
scenario, the rate and latencies for runs of persists, recovery_ms for
recovery, no field that does not apply, and each repetition's own figure.

    check_json_lines.py WALBENCH DATA_DIR
"""
import json
import subprocess
import sys

ENGINES = ["wal-segmented", "raw"]
SCENARIOS = ["sync-1t", "recovery-200k", "scale"]
RATE_FIELDS = ["persists_per_s", "p50_us", "p99_us", "fdatasyncs_per_call", "write_amplification"]


def check_line(number, text):
    try:
        line = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [f"line {number} is not JSON ({error}): {text!r}"]
    if not isinstance(line, dict):
        return None, [f"line {number} is not a JSON object: {text!r}"]
    problems = []
    if line.get("engine") not in ENGINES or line.get("scenario") not in SCENARIOS:
        problems.append(f"line {number}: unexpected engine or scenario: {text}")
    if line.get("checks_passed") != line.get("repetitions"):
        problems.append(f"line {number}: a check failed: {text}")
    runs = line.get("per_repetition", [])
    figure = "recovery_ms" if line.get("scenario") == "recovery-200k" else "persists_per_s"
    if len(runs) != line.get("checks_passed") or not all(run.get(figure, 0) > 0 for run in runs):
        problems.append(f"line {number}: per_repetition does not hold each run's {figure}: {text}")
    if line.get("scenario") == "recovery-200k":
        if not line.get("recovery_ms", 0) > 0:
            problems.append(f"line {number}: recovery without recovery_ms: {text}")
        problems += [f"line {number}: {field} on a recovery line" for field in RATE_FIELDS
                     if field in line]
    else:
        missing = [field for field in RATE_FIELDS if field not in line]
        if missing:
            problems.append(f"line {number}: missing {missing}: {text}")
        elif not (line["persists_per_s"] > 0 and 0 < line["p50_us"] <= line["p99_us"]):
            problems.append(f"line {number}: rate or latencies out of order: {text}")
        if "recovery_ms" in line:
            problems.append(f"line {number}: recovery_ms on a run of persists: {text}")
    return line, problems


def main():
    walbench, data_dir = sys.argv[1], sys.argv[2]
    run = subprocess.run([walbench, "--tiny", "--json", "--engines", ",".join(ENGINES),
                          "--scenarios", ",".join(SCENARIOS), "--dir", data_dir],
                         stdout=subprocess.PIPE, text=True, check=False)
    problems = [] if run.returncode == 0 else [f"walbench exited with {run.returncode}"]
    seen = set()
    for number, text in enumerate(run.stdout.splitlines(), 1):
        line, found = check_line(number, text)
        problems += found
        if line is not None:
            seen.add((line.get("engine"), line.get("scenario"), line.get("messages")))
    # Every engine and scenario, and scale at each of its two sizes.
    for engine in ENGINES:
        for scenario in SCENARIOS:
            sizes = {messages for (e, s, messages) in seen if e == engine and s == scenario}
            if len(sizes) != (2 if scenario == "scale" else 1):
                problems.append(f"{engine} {scenario}: lines for sizes {sorted(sizes)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(seen)} lines checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
