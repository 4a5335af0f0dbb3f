#!/usr/bin/env python3
"""Fills doc/weave.yaml.5.scd's key list from README.md's configuration table.

Usage: man-config.py TEMPLATE README > OUTPUT.scd
The README's "## Configuration" section holds the one table of every key (its first table,
and any later ones in the same section); the template marks where the list goes with a line
"%CONFIG_KEYS%". One source for both keeps the manual page and the README from drifting.
"""
import re
import sys


def scdoc_text(markdown):
    """Markdown table cell text as scdoc: `code` in bold, scdoc's markup characters escaped."""
    parts = re.split(r"(`[^`]*`)", markdown.replace("\\|", "|"))
    out = []
    for part in parts:
        code = part.startswith("`") and part.endswith("`") and len(part) >= 2
        text = part[1:-1] if code else part
        text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)
        text = text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")
        out.append("*" + text + "*" if code and text else text)
    return "".join(out)


def config_rows(readme):
    """(key, default, meaning) for every row of the tables in the Configuration section."""
    rows, inside = [], False
    for line in readme.splitlines():
        if line.startswith("## "):
            inside = line.strip() == "## Configuration"
            continue
        if not inside or not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) != 3 or cells[0] == "key":
            continue
        rows.append(cells)
    return rows


def main():
    template, readme = (open(path, encoding="utf-8").read() for path in sys.argv[1:3])
    rows = config_rows(readme)
    if not rows:
        sys.exit("man-config.py: no configuration table in " + sys.argv[2])
    entries = []
    for key, default, meaning in rows:
        entries.append("%s (default: %s)\n\t%s\n" % (scdoc_text(key), scdoc_text(default),
                                                      scdoc_text(meaning)))
    sys.stdout.write(template.replace("%CONFIG_KEYS%\n", "\n".join(entries)))


if __name__ == "__main__":
    main()
