#!/usr/bin/env python3
"""Writes the built-in page and mail templates (templates/**/*.html, *.txt) as C++ table
rows for src/reg/page_templates.cpp: {"en/delete_form.html", R"weave_tpl(...)weave_tpl"},

Usage: embed-templates.py TEMPLATES_DIR > builtin_templates.inc
"""

import os
import sys

DELIMITER = "weave_tpl"


def main(argv):
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    top = argv[0]
    rows = []
    for folder, subfolders, files in os.walk(top):
        subfolders.sort()
        for name in sorted(files):
            if not name.endswith((".html", ".txt")):
                continue
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, top).replace(os.sep, "/")
            with open(path, encoding="utf-8") as source:
                text = source.read()
            if ")" + DELIMITER + '"' in text or '"' in relative or "\\" in relative:
                sys.stderr.write("%s: cannot be embedded as a raw string\n" % path)
                return 1
            rows.append('{"%s", R"%s(%s)%s"},\n' % (relative, DELIMITER, text, DELIMITER))
    if not rows:
        sys.stderr.write("%s: no templates\n" % top)
        return 1
    sys.stdout.write("".join(sorted(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
