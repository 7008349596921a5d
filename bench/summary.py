"""The table bench/run prints: each headline figure, the floor measured in
the same run, the ratio, the target and whether it is met.

    python3 bench/summary.py WORK_DIR

WORK_DIR is bench/run's: `machine` (key=value lines), `loads`, `status`, and
the log of each step (intake, intake_floor, api, public). bench/api and
bench/public name their own directories in their logs ("details in …");
their results.tsv is read from there.

Besides the ratio of requests per second, the table gives the ratio of CPU
per request (the server's and its PostgreSQL backends', from /proc; the
floor's over the product's): on a machine shared with other work, what the
others take during one case and not the other moves the first ratio, not the
second.
"""

import csv
import re
import sys
from pathlib import Path


def read_machine(work):
    machine = {}
    for line in (work / "machine").read_text().splitlines():
        key, _, value = line.partition("=")
        machine[key] = value
    return machine


def read_pairs(path):
    pairs = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            pairs[name] = value
    return pairs


def log(work, name):
    path = work / f"{name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


def results(work, name):
    """The cases of bench/api or bench/public, by name."""
    found = re.search(r"== bench/\w+: details in (\S+)", log(work, name))
    if not found:
        return {}
    path = Path(found.group(1)) / "results.tsv"
    if not path.exists():
        return {}
    with path.open() as f:
        return {row["case"]: row for row in csv.DictReader(f, delimiter="\t")}


def number(text):
    return float(text.replace(",", ""))


def main():
    work = Path(sys.argv[1])
    machine = read_machine(work)
    status = read_pairs(work / "status")
    rows = []

    def row(benchmark, target, figure, floor, ratio, met, step, cpu_ratio=""):
        if status.get(step) != "ok":
            figure, floor, ratio, met, cpu_ratio = f"failed (see {step}.log)", "", "", "no", ""
        rows.append((benchmark, target, figure, floor, ratio, cpu_ratio, met))

    def cpu(case, server_key):
        """CPU µs per request, server and PostgreSQL together."""
        return number(case[server_key]) + number(case["us_pg_per_req"])

    def cpu_ratio(case, floor, server_key):
        return f"{cpu(floor, server_key) / cpu(case, server_key):.2f} ({cpu(case, server_key):.0f} µs)"

    def verdict(ok):
        return "met" if ok else "**missed**"

    # Intake: stored mails per second over the floor's transactions per second.
    stored = re.search(r"stored mails/s\s+(\d+)", log(work, "intake"))
    latency = re.search(r"latency ms\s+p50 ([\d.]+)\s+p90 [\d.]+\s+p99 ([\d.]+)", log(work, "intake"))
    floor = re.search(r"INTAKE_FLOOR tps=(\d+)", log(work, "intake_floor"))
    if stored and floor:
        ratio = number(stored.group(1)) / number(floor.group(1))
        p99 = f", p99 {latency.group(2)} ms" if latency else ""
        row("Intake over HTTP (stored mails/s)", "≥ 0.50 × floor", f"{stored.group(1)}/s{p99}",
            f"{floor.group(1)}/s", f"{ratio:.2f}", verdict(ratio >= 0.5), "intake")
    else:
        row("Intake over HTTP (stored mails/s)", "≥ 0.50 × floor", "no figure", "", "", "no", "none")

    api = results(work, "api")

    def rps(case):
        return f"{number(case['rps']):,.0f}/s"

    if "detail" in api and "floor" in api:
        d, f = api["detail"], api["floor"]
        ratio = number(d["rps"]) / number(f["rps"])
        row("Editors' detail (req/s)", "≥ 0.80 × floor", f"{rps(d)}, p99 {d['p99_ms']} ms", rps(f),
            f"{ratio:.2f}", verdict(ratio >= 0.8), "api", cpu_ratio(d, f, "us_server_per_req"))
    else:
        row("Editors' detail (req/s)", "≥ 0.80 × floor", "no figure", "", "", "no", "none")
    for case, title, limit in (("list_first", "Editors' list, first page (p99)", 25),
                               ("search", "Search mix (p99)", 100)):
        if case in api:
            c = api[case]
            row(title, f"p99 ≤ {limit} ms", f"{c['p99_ms']} ms ({rps(c)})", "", "",
                verdict(number(c["p99_ms"]) <= limit), "api")
        else:
            row(title, f"p99 ≤ {limit} ms", "no figure", "", "", "no", "none")
    if "detail_logins" in api and "detail" in api:
        with_logins, without = number(api["detail_logins"]["p99_ms"]), number(api["detail"]["p99_ms"])
        logins = api.get("(logins during detail_logins)")
        meanwhile = (f"; logins asked {number(logins['rps']):,.0f}/s, {int(logins['non2xx']):,} refused beyond the queue"
                     if logins else "")
        row("Detail while logins run (p99)", "≤ 2 × without", f"{with_logins:.2f} ms{meanwhile}",
            f"{without:.2f} ms without", f"{with_logins / without:.1f} ×", verdict(with_logins <= 2 * without), "api")
    else:
        row("Detail while logins run (p99)", "≤ 2 × without", "no figure", "", "", "no", "none")

    public = results(work, "public")
    if "detail" in public and "floor_detail" in public:
        d, f = public["detail"], public["floor_detail"]
        ratio = number(d["rps"]) / number(f["rps"])
        row("Public detail (req/s)", "≥ 0.80 × floor", rps(d), rps(f), f"{ratio:.2f}",
            verdict(ratio >= 0.8), "public", cpu_ratio(d, f, "us_oped_per_req"))
        row("Public detail (p99)", "p99 ≤ 10 ms", f"{d['p99_ms']} ms", f"{f['p99_ms']} ms", "",
            verdict(number(d["p99_ms"]) <= 10), "public")
    else:
        row("Public detail (req/s)", "≥ 0.80 × floor", "no figure", "", "", "no", "none")
    if "list_first" in public and "floor_list" in public:
        c, f = public["list_first"], public["floor_list"]
        ratio = number(c["rps"]) / number(f["rps"])
        row("Public list, first page (p99)", "p99 ≤ 10 ms", f"{c['p99_ms']} ms ({rps(c)})",
            f"{f['p99_ms']} ms ({rps(f)})", f"{ratio:.2f} (req/s)",
            verdict(number(c["p99_ms"]) <= 10), "public", cpu_ratio(c, f, "us_oped_per_req"))
    else:
        row("Public list, first page (p99)", "p99 ≤ 10 ms", "no figure", "", "", "no", "none")

    loads = read_pairs(work / "loads")
    print(f"Machine: {machine.get('cpu')}, {machine.get('cores')} cores, {machine.get('memory')}, "
          f"PostgreSQL {machine.get('postgres')}")
    minutes = lambda key: f"{int(machine.get(key, 0)) / 60:.1f}"
    print(f"Commit: {machine.get('commit')}; command: `{machine.get('command')}`; {machine.get('date')}; "
          f"build {minutes('build_seconds')} min, benchmarks {minutes('bench_seconds')} min")
    print(f"Load average (1, 5, 15 min): {machine.get('load_start')} at the start, "
          f"{machine.get('load_end')} at the end; before each step: "
          + ", ".join(f"{name} {value.split()[-1]}" for name, value in loads.items()))
    print()
    print("| benchmark | target | figure | floor, same run | ratio | ratio by CPU per request | met |")
    print("|---|---|---:|---:|---:|---:|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    failed = [name for name, value in status.items() if value != "ok"]
    if failed:
        print()
        print(f"Failed steps: {', '.join(failed)} (their logs are in {work}).")


if __name__ == "__main__":
    main()
