#!/usr/bin/env python3
"""make bench-report: renders bench/runs/*.json as one self-contained HTML page (inline SVG,
no external assets): throughput and latency per request type across the saved runs.

usage: report.py [RUNS_DIR] [OUTPUT]   (defaults: bench/runs, bench/report.html)"""

import glob
import html
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"]
# The request types of the load mix, in the order they occur in a session.
MIX_TYPES = ["info_collections", "meta_global", "get_collection", "post_collection",
             "delete_ids", "verify_deleted", "delete_storage", "verify_wiped"]


def load_runs(directory):
    runs = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        try:
            with open(path, encoding="utf-8") as handle:
                run = json.load(handle)
        except (OSError, ValueError) as error:
            print(f"report: skipping {path}: {error}", file=sys.stderr)
            continue
        run["_file"] = os.path.basename(path)
        runs.append(run)
    return runs


def mix_of(run):
    weave = run.get("weave") or {}
    return (weave.get("phases") or {}).get("mix")


def ceiling_of(run, name):
    ceiling = (run.get("ceilings") or {}).get(name) or {}
    return (ceiling.get("phases") or {}).get("timed")


def database_of(run):
    """"sqlite" or "mysql"; runs saved before DB=mysql existed are SQLite runs."""
    return (run.get("database") or {}).get("driver") or "sqlite"


# Ceiling (b) per database: its key under "ceilings" and in the summary.
SELECT_CEILINGS = {"sqlite": ("sqlite_pk", "sqlite"), "mysql": ("mysql_pk", "mysql")}
DATABASE_NAMES = {"sqlite": "SQLite", "mysql": "MariaDB"}


def nice_max(value):
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10 ** exponent
        if candidate >= value:
            return candidate
    return 10 ** (exponent + 1)


def line_chart(title, unit, labels, series, log_scale=False, width=860, height=320):
    """series: list of (name, values, dashed); values may hold None."""
    left, right, top, bottom = 80, 190, 34, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vals, _ in series for v in vals if v is not None and v > 0]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
           f' viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="18" font-size="14" font-weight="bold">{html.escape(title)}</text>']
    if not values:
        out.append(f'<text x="{left}" y="{top + 20}">no data</text></svg>')
        return "\n".join(out)
    if log_scale:
        low = 10 ** math.floor(math.log10(min(values)))
        high = 10 ** math.ceil(math.log10(max(values)))
        if high <= low:
            high = low * 10

        def y_of(v):
            return top + plot_h - (math.log10(v) - math.log10(low)) / (
                math.log10(high) - math.log10(low)) * plot_h
        ticks = []
        tick = low
        while tick <= high * 1.0001:
            ticks.append(tick)
            tick *= 10
    else:
        high = nice_max(max(values) * 1.05)

        def y_of(v):
            return top + plot_h - v / high * plot_h
        ticks = [high * i / 5 for i in range(6)]
    count = len(labels)

    def x_of(i):
        return left + (plot_w / 2 if count == 1 else i * plot_w / (count - 1))

    for tick in ticks:
        y = y_of(tick) if (tick > 0 or not log_scale) else top + plot_h
        text = f"{tick:g}" if tick < 10000 else f"{tick / 1000:g}k"
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"'
                   ' stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
    out.append(f'<text x="14" y="{top + plot_h / 2:.0f}" transform="rotate(-90 14'
               f' {top + plot_h / 2:.0f})" text-anchor="middle">{html.escape(unit)}</text>')
    step = max(1, math.ceil(count / 12))
    for i, label in enumerate(labels):
        if i % step == 0 or i == count - 1:
            x = x_of(i)
            out.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="end"'
                       f' transform="rotate(-30 {x:.1f} {top + plot_h + 16})">'
                       f'{html.escape(label)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none"'
               ' stroke="#999"/>')
    for index, (name, vals, dashed) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        points = [(x_of(i), y_of(v)) for i, v in enumerate(vals)
                  if v is not None and (v > 0 or not log_scale)]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}"'
                       f' stroke-width="2"{dash}/>')
        for x, y in points:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
        legend_y = top + 14 * index + 8
        out.append(f'<line x1="{width - right + 12}" x2="{width - right + 32}" y1="{legend_y}"'
                   f' y2="{legend_y}" stroke="{color}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{width - right + 38}" y="{legend_y + 4}">{html.escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(title, unit, categories, groups, width=860, height=300):
    """groups: list of (name, values per category)."""
    left, right, top, bottom = 64, 120, 34, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vals in groups for v in vals if v is not None]
    high = nice_max(max(values) * 1.05) if values else 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
           f' viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="18" font-size="14" font-weight="bold">{html.escape(title)}</text>']
    for i in range(6):
        tick = high * i / 5
        y = top + plot_h - tick / high * plot_h
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"'
                   ' stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>')
    out.append(f'<text x="14" y="{top + plot_h / 2:.0f}" transform="rotate(-90 14'
               f' {top + plot_h / 2:.0f})" text-anchor="middle">{html.escape(unit)}</text>')
    slot = plot_w / max(1, len(categories))
    bar = slot * 0.8 / max(1, len(groups))
    for c, category in enumerate(categories):
        x0 = left + c * slot + slot * 0.1
        for g, (_, vals) in enumerate(groups):
            value = vals[c]
            if value is None:
                continue
            h = value / high * plot_h
            out.append(f'<rect x="{x0 + g * bar:.1f}" y="{top + plot_h - h:.1f}"'
                       f' width="{bar - 1:.1f}" height="{h:.1f}"'
                       f' fill="{PALETTE[g % len(PALETTE)]}"><title>{html.escape(category)}'
                       f' {value:g} {html.escape(unit)}</title></rect>')
        cx = left + c * slot + slot / 2
        out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14}" text-anchor="end"'
                   f' transform="rotate(-25 {cx:.1f} {top + plot_h + 14})">'
                   f'{html.escape(category)}</text>')
    for g, (name, _) in enumerate(groups):
        y = top + 14 * g + 8
        out.append(f'<rect x="{width - right + 12}" y="{y - 6}" width="12" height="10"'
                   f' fill="{PALETTE[g % len(PALETTE)]}"/>')
        out.append(f'<text x="{width - right + 30}" y="{y + 3}">{html.escape(name)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none"'
               ' stroke="#999"/></svg>')
    return "\n".join(out)


def fmt(value, pattern="{:.1f}"):
    return "–" if value is None else pattern.format(value)


def short_label(run):
    """"20261127T180717Z" -> "11-27 18:07"."""
    stamp = run.get("timestamp", run["_file"])
    suffix = "" if database_of(run) == "sqlite" else f" {DATABASE_NAMES[database_of(run)]}"
    if len(stamp) >= 13 and stamp[8] == "T":
        return f"{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}{suffix}"
    return stamp + suffix


def render(runs):
    labels = [short_label(run) for run in runs]
    types = [t for t in MIX_TYPES if any(t in ((mix_of(r) or {}).get("types") or {}) for r in runs)]

    def per_type(metric):
        series = []
        for t in types:
            series.append((t, [((mix_of(r) or {}).get("types") or {}).get(t, {}).get(metric)
                               for r in runs], False))
        return series

    throughput = [("all requests", [(mix_of(r) or {}).get("rps") for r in runs], False)]
    throughput += per_type("rps")
    throughput.append(("ceiling: fixed body",
                       [(ceiling_of(r, "fixed") or {}).get("rps") for r in runs], True))
    for database, (key, _) in SELECT_CEILINGS.items():
        values = [(ceiling_of(r, key) or {}).get("rps") for r in runs]
        if database == "sqlite" or any(value is not None for value in values):
            throughput.append((f"ceiling: one SELECT, {DATABASE_NAMES[database]}", values, True))
    p99 = [("all requests", [((mix_of(r) or {}).get("all") or {}).get("p99_ms") for r in runs],
            False)] + per_type("p99_ms")
    p50 = [("all requests", [((mix_of(r) or {}).get("all") or {}).get("p50_ms") for r in runs],
            False)] + per_type("p50_ms")

    rows = []
    for run in reversed(runs):
        s = run.get("summary") or {}
        m = run.get("machine") or {}
        ratio = s.get("ratio_fixed")
        database = database_of(run)
        select_name = SELECT_CEILINGS.get(database, (None, None))[1]
        select_ratio = s.get(f"ratio_{select_name}")
        rows.append(
            "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in [
                run.get("timestamp", run["_file"]), m.get("git", ""),
                f"{m.get('nproc', '?')} × {m.get('cpu', '?')}",
                DATABASE_NAMES.get(database, database),
                fmt(s.get("throughput_rps"), "{:.0f}"), fmt(s.get("ceiling_fixed_rps"), "{:.0f}"),
                fmt(None if ratio is None else 100 * ratio, "{:.1f} %"),
                fmt(s.get(f"ceiling_{select_name}_rps"), "{:.0f}"),
                fmt(None if select_ratio is None else 100 * select_ratio, "{:.1f} %"),
                fmt(s.get("p50_ms"), "{:.2f}"), fmt(s.get("p99_ms"), "{:.2f}"),
                fmt(None if s.get("worker_peak_rss_kb") is None
                    else s["worker_peak_rss_kb"] / 1024, "{:.1f}"),
                fmt(s.get("seed_seconds"), "{:.1f}"),
                fmt(s.get("other_cpu_pct_without_db", s.get("other_cpu_pct")), "{:.0f} %"),
                "ok" if s.get("ok") else "FAILED"]) + "</tr>")

    latest = runs[-1]
    latest_types = [t for t in MIX_TYPES if t in ((mix_of(latest) or {}).get("types") or {})]
    latest_bars = ""
    if latest_types:
        stats = mix_of(latest)["types"]
        latest_bars = bar_chart(
            f"Latency per request type, latest run ({latest.get('timestamp', '')})", "ms",
            latest_types,
            [(p, [stats[t].get(f"{p}_ms") for t in latest_types]) for p in ("p50", "p90", "p99")])

    header = ["run", "git", "machine", "database", "server req/s", "fixed ceiling req/s",
              "share of it", "one-SELECT ceiling req/s", "share of it", "p50 ms", "p99 ms",
              "worker RSS MB", "seeding s", "other load", "verification"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Weave server benchmark</title>
<style>
body {{ font-family: sans-serif; margin: 24px; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; margin-bottom: 24px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
th {{ background: #f3f3f3; }}
svg {{ display: block; margin: 12px 0 28px; }}
</style></head><body>
<h1>Weave server benchmark</h1>
<p>{len(runs)} saved run(s) from bench/runs. Load: Mozilla's Sync load-test mix, every answer
checked; ceilings: a fixed-body and a one-SELECT FastCGI responder behind the same nginx (the
SELECT on the run's own database: SQLite, or MariaDB for runs labelled MariaDB).</p>
<table><tr>{''.join(f'<th>{html.escape(h)}</th>' for h in header)}</tr>
{''.join(rows)}</table>
{line_chart("Throughput per request type", "requests/s", labels, throughput, log_scale=True)}
{line_chart("p99 latency per request type", "ms", labels, p99, log_scale=True)}
{line_chart("p50 latency per request type", "ms", labels, p50, log_scale=True)}
{latest_bars}
</body></html>
"""


def main():
    runs_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "runs")
    output = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "report.html")
    runs = load_runs(runs_dir)
    if not runs:
        print(f"report: no runs in {runs_dir}; run make bench first", file=sys.stderr)
        return 1
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(render(runs))
    print(f"report: {len(runs)} run(s) -> {os.path.relpath(output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
