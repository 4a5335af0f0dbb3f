#!/usr/bin/env python3
"""Checks the include layering of src/: reads every #include "..." line and fails when a
folder includes a higher layer, a folder of its own rank, or when folders form a cycle.

Layers, lowest first (a folder may include its own files and any lower layer):
  core
  http, db, fcgi, cache  (fcgi may also include http; otherwise none includes another)
  auth              (auth/ldap counts as auth)
  storage, reg      (neither includes the other)
  server
  admin
Usage: scripts/check-layers.py [SRC_DIR]   (default: src next to this script's folder)
Prints every offending include as file:line and exits 1 if there is one.
"""
import os
import re
import sys

RANKS = {"core": 0, "http": 1, "db": 1, "fcgi": 1, "cache": 1, "auth": 2, "storage": 3, "reg": 3,
         "server": 4, "migrate": 4, "admin": 5}
# Includes between folders of the same rank that are allowed.
SAME_RANK_ALLOWED = {("fcgi", "http")}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def folder_of(path):
    """The layer folder of a path relative to src/: its first component."""
    return path.split("/", 1)[0] if "/" in path else ""


def allowed(source, target):
    if source == target:
        return True
    if (source, target) in SAME_RANK_ALLOWED:
        return True
    return RANKS[target] < RANKS[source]


def find_cycles(edges):
    """Strongly connected components of more than one folder (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(edges.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return result


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "src")
    shown = os.path.relpath(src)
    problems = []
    edges = {}  # folder -> {folder: first "file:line" seen}
    for dirpath, _, names in sorted(os.walk(src)):
        for name in sorted(names):
            if not name.endswith((".h", ".cpp")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, src).replace(os.sep, "/")
            source = folder_of(rel)
            if source not in RANKS:
                problems.append("%s/%s:1: folder %r has no layer (add it to %s)"
                                % (shown, rel, source or ".", os.path.basename(__file__)))
                continue
            with open(path, encoding="utf-8", errors="replace") as handle:
                for number, line in enumerate(handle, 1):
                    match = INCLUDE.match(line)
                    if not match:
                        continue
                    included = match.group(1)
                    if "/" in included:
                        target_rel = included
                    else:  # relative to the including file's folder
                        target_rel = os.path.join(os.path.dirname(rel), included)
                    if not os.path.exists(os.path.join(src, target_rel)):
                        continue  # generated (the compiled-in schemas) or system-like
                    target = folder_of(target_rel.replace(os.sep, "/"))
                    where = "%s/%s:%d" % (shown, rel, number)
                    if target not in RANKS:
                        problems.append('%s: #include "%s": folder %r has no layer'
                                        % (where, included, target))
                        continue
                    if source != target:
                        edges.setdefault(source, {}).setdefault(target, where)
                    if not allowed(source, target):
                        problems.append('%s: #include "%s": %s (rank %d) may not include %s '
                                        "(rank %d)" % (where, included, source, RANKS[source],
                                                       target, RANKS[target]))
    for cycle in find_cycles(edges):
        steps = ["%s -> %s (%s)" % (a, b, edges[a][b])
                 for a in cycle for b in cycle if b in edges.get(a, {})]
        problems.append("cycle between folders %s: %s" % (", ".join(cycle), "; ".join(steps)))
    for problem in problems:
        print(problem)
    if problems:
        print("check-layers: %d problem(s)" % len(problems))
        return 1
    print("check-layers: the includes of %s follow the layers" % shown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
