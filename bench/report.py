#!/usr/bin/env python3
"""make bench-report: the trend across commits from the benchmark's history
(bench/history.jsonl, one line per `make bench`, see bench/history.py), as one
self-contained HTML page with inline SVG (no scripts, no external assets, well-formed XML):
throughput and its share of the run's ceiling per commit, p99 per commit, one series per
(database, cache, users x records), and p99 per request type of the newest run's series.
Prints a text summary per series and a WARNING when a series' newest run is more than 10 %
below the best of its previous five (throughput, or its share of the ceiling).

usage: report.py [HISTORY] [OUTPUT]   (defaults: bench/history.jsonl, bench/report.html)"""

import html
import math
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import history  # noqa: E402  (bench/history.py, next to this file)

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"]
# The request types of the load mix, in the order they occur in a session.
MIX_TYPES = ["info_collections", "meta_global", "get_collection", "post_collection",
             "delete_ids", "verify_deleted", "delete_storage", "verify_wiped"]
DATABASE_NAMES = {"sqlite": "SQLite", "mysql": "MariaDB"}
CEILING_NAMES = {"fixed": "fixed-body", "sqlite": "one-SELECT", "mysql": "one-SELECT"}
# A series' newest run this far below the best of its previous PREVIOUS runs is reported.
SLOWDOWN = 0.10
PREVIOUS = 5


def nice_max(value):
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10 ** exponent
        if candidate >= value:
            return candidate
    return 10 ** (exponent + 1)


def line_chart(title, unit, labels, series, log_scale=False, width=860, height=320,
               reference=None, right=190):
    """series: list of (name, values, dashed[, color]); values may hold None. reference:
    (value, label) drawn as a red horizontal line, e.g. a target."""
    left, top, bottom = 80, 34, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vals, *_ in series for v in vals if v is not None and v > 0]
    if reference is not None and values:
        values.append(reference[0])
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
    if reference is not None:
        y = y_of(reference[0])
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"'
                   ' stroke="#d00" stroke-dasharray="2 3"/>')
        out.append(f'<text x="{left + plot_w - 4}" y="{y - 4:.1f}" text-anchor="end"'
                   f' fill="#d00">{html.escape(reference[1])}</text>')
    for index, (name, vals, dashed, *color) in enumerate(series):
        color = color[0] if color else PALETTE[index % len(PALETTE)]
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


def series_key(line):
    """Runs under perf (PROFILE=1) are slower by the profiling: a series of their own."""
    return (line.get("database") or "sqlite", line.get("cache") or "none",
            line.get("users"), line.get("records"), bool(line.get("profiled")))


def series_name(key):
    database, cache, users, records, profiled = key
    cache_text = "no cache" if cache == "none" else cache
    return (f"{DATABASE_NAMES.get(database, database)}, {cache_text}, {users}×{records}"
            + (", under perf" if profiled else ""))


def by_series(lines):
    """{series key: its runs, oldest first}, series in order of their newest run."""
    groups = {}
    for line in sorted(lines, key=lambda value: value.get("date") or ""):
        groups.setdefault(series_key(line), []).append(line)
    return dict(sorted(groups.items(), key=lambda item: item[1][-1].get("date") or ""))


def commits_in_order(lines):
    """Commits in the order of their first run."""
    seen = []
    for line in sorted(lines, key=lambda value: value.get("date") or ""):
        if line.get("commit") not in seen:
            seen.append(line.get("commit"))
    return seen


def per_commit(runs, commits, value_of):
    """One value per commit for a series: the median of its runs there (None if none)."""
    values = []
    for commit in commits:
        found = [value_of(run) for run in runs if run.get("commit") == commit]
        found = [value for value in found if value is not None]
        values.append(statistics.median(found) if found else None)
    return values


def ratio_pct(run):
    ratio = run.get("target_ratio")
    return None if ratio is None else 100 * ratio


MEASURES = (("throughput", "req/s", lambda run: run.get("rps"), "{:.0f} req/s"),
            ("share of the ceiling", "%", ratio_pct, "{:.1f} %"))


def slowdowns(groups):
    """Warnings: a series' newest good run more than SLOWDOWN below the best of the
    PREVIOUS good runs before it, in throughput or in its share of the ceiling."""
    warnings = []
    for key, runs in groups.items():
        good = [run for run in runs if run.get("ok")]
        if len(good) < 2:
            continue
        newest, previous = good[-1], good[-1 - PREVIOUS:-1]
        for name, _, value_of, pattern in MEASURES:
            best = max(previous, key=lambda run: value_of(run) or 0)
            now, then = value_of(newest), value_of(best)
            if now is None or not then or now >= (1 - SLOWDOWN) * then:
                continue
            warnings.append(
                f"WARNING: {series_name(key)}: {name} {pattern.format(now)} at"
                f" {newest.get('commit')} ({newest.get('date')}) is"
                f" {100 * (1 - now / then):.0f} % below the best of the previous"
                f" {len(previous)} run(s): {pattern.format(then)} at {best.get('commit')}"
                f" ({best.get('date')})")
    return warnings


def summary_lines(groups):
    lines = []
    for key, runs in groups.items():
        newest = runs[-1]
        met = newest.get("targets_met")
        lines.append(
            f"{series_name(key)}: {len(runs)} run(s); newest {newest.get('commit')}"
            f" ({newest.get('date')}): {fmt(newest.get('rps'), '{:.0f}')} req/s,"
            f" {fmt(ratio_pct(newest), '{:.1f} %')} of the"
            f" {CEILING_NAMES.get(newest.get('target_ceiling'), '?')} ceiling, p50"
            f" {fmt(newest.get('p50_ms'), '{:.2f}')} ms, p99 {fmt(newest.get('p99_ms'), '{:.2f}')}"
            f" ms; targets {'met' if met else 'not judged' if met is None else 'MISSED'}"
            f"{'' if newest.get('ok') else '; verification FAILED'}")
    return lines


def table(lines):
    header = ["date", "commit", "series", "req/s", "ceiling req/s", "share of it", "p50 ms",
              "p99 ms", "worker RSS MB", "seeding s", "accounts s", "targets", "verification"]
    rows = []
    for line in sorted(lines, key=lambda value: value.get("date") or "", reverse=True)[:60]:
        met = line.get("targets_met")
        ceiling = (line.get("ceilings") or {}).get(line.get("target_ceiling"))
        rss = line.get("worker_peak_rss_kb")
        cells = [line.get("date"), line.get("commit"), series_name(series_key(line)),
                 fmt(line.get("rps"), "{:.0f}"), fmt(ceiling, "{:.0f}"),
                 fmt(ratio_pct(line), "{:.1f} %"), fmt(line.get("p50_ms"), "{:.2f}"),
                 fmt(line.get("p99_ms"), "{:.2f}"), fmt(None if rss is None else rss / 1024),
                 fmt(line.get("seed_seconds")), fmt(line.get("accounts_seconds")),
                 "met" if met else "–" if met is None else "missed",
                 "ok" if line.get("ok") else "FAILED"]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in cells)
                    + "</tr>")
    return (f"<table><tr>{''.join(f'<th>{html.escape(h)}</th>' for h in header)}</tr>\n"
            + "\n".join(rows) + "</table>")


def render(lines, warnings):
    groups = by_series(lines)
    commits = commits_in_order(lines)
    throughput, ratio, p99 = [], [], []
    for index, (key, runs) in enumerate(groups.items()):
        name, color = series_name(key), PALETTE[index % len(PALETTE)]
        throughput.append((name, per_commit(runs, commits, lambda run: run.get("rps")), False,
                           color))
        ceiling = per_commit(runs, commits, lambda run: (run.get("ceilings") or {}).get(
            run.get("target_ceiling")))
        if any(value is not None for value in ceiling):
            throughput.append((f"ceiling: {name}", ceiling, True, color))
        ratio.append((name, per_commit(runs, commits, ratio_pct), False, color))
        p99.append((name, per_commit(runs, commits, lambda run: run.get("p99_ms")), False,
                    color))
    newest_key = list(groups)[-1]
    newest_runs = groups[newest_key]
    types = [t for t in MIX_TYPES if any(t in (run.get("types") or {}) for run in newest_runs)]
    per_type = [(t, per_commit(newest_runs, commits, lambda run, t=t: (
        (run.get("types") or {}).get(t) or {}).get("p99_ms")), False) for t in types]
    warning_html = "".join(f'<p class="warning">{html.escape(text)}</p>' for text in warnings)
    return f"""<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>
<title>Weave server benchmark history</title>
<style>
body {{ font-family: sans-serif; margin: 24px; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; margin-bottom: 24px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
th {{ background: #f3f3f3; }}
svg {{ display: block; margin: 12px 0 28px; }}
.warning {{ color: #b00; font-weight: bold; }}
</style></head><body>
<h1>Weave server benchmark history</h1>
<p>{len(lines)} run(s) of <code>make bench</code> on {len(commits)} commit(s), from
bench/history.jsonl. Load: Mozilla's Sync load-test mix, every answer checked; ceiling: the
fixed-body FastCGI responder (SQLite) or the one-SELECT responder on the same MariaDB
(MariaDB), behind the same nginx in the same run. One point per commit and series (the median
of its runs there); a slowdown shows as a drop.</p>
{warning_html}
{line_chart("Throughput per commit (dashed: the run's ceiling)", "requests/s", commits,
            throughput, log_scale=True, width=1100, right=300)}
{line_chart("Share of the ceiling per commit", "% of the ceiling", commits, ratio,
            reference=(50.0, "target 50 %"), width=1100, right=300)}
{line_chart("p99 latency per commit", "ms", commits, p99, log_scale=True, width=1100, right=300)}
{line_chart(f"p99 per request type: {series_name(newest_key)}", "ms", commits, per_type,
            log_scale=True, width=1100, right=300)}
{table(lines)}
</body></html>
"""


def main():
    history_path = sys.argv[1] if len(sys.argv) > 1 else history.DEFAULT_HISTORY
    output = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "report.html")
    lines = [line for line in history.load(history_path) if line.get("rps") is not None]
    if not lines:
        print(f"report: no runs in {history_path}; run make bench first", file=sys.stderr)
        return 1
    groups = by_series(lines)
    for text in summary_lines(groups):
        print(text)
    warnings = slowdowns(groups)
    for text in warnings:
        print(text)
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(render(lines, warnings))
    print(f"report: {len(lines)} run(s), {len(groups)} series -> {os.path.relpath(output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
