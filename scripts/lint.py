#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Project lint: the rules in design.md that a compiler does not check.

  - every log tag ITSMEnnnnn is used at exactly one call site;
  - every ap_log_*error call in the glue, and every itsme_cmd_warn (a
    configuration warning logged later), starts its format with a tag;
  - every directive in the command table is documented in docs/directives.md
    (a "## Name" section) and named in README.md, and every documented
    directive exists;
  - the "**Context:**" line of each documented directive matches the scope
    flags of its command table entry (server, directory, .htaccess);
  - libitsme (src/core) never includes httpd headers; only json.c includes
    jansson, only http_client.c includes curl; nothing in src/ uses cjose;
  - no C file under src/ is longer than 800 lines.

Prints one line per check and a closing "N passed, M failed".
Exit status 0 only when every check passed.
"""
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_LINES = 800


def sources():
    out = [os.path.join(REPO, "mod_auth_itsme.c")]
    for root, _dirs, files in os.walk(os.path.join(REPO, "src")):
        out += [os.path.join(root, f) for f in files if f.endswith((".c", ".h"))]
    return sorted(out)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def rel(path):
    return os.path.relpath(path, REPO)


def check_tags_unique(files):
    seen = {}
    for path in files:
        for m in re.finditer(r'"(ITSME\d{5})', read(path)):
            seen.setdefault(m.group(1), []).append(rel(path))
    dups = {t: w for t, w in seen.items() if len(w) > 1}
    return [f"{t} used {len(w)} times ({', '.join(sorted(set(w)))})" for t, w in sorted(dups.items())]


def check_glue_calls_tagged(files):
    problems = []
    call = re.compile(r"\b(?:ap_log_(?:r|c|p)?error|itsme_cmd_warn)\s*\(")
    for path in files:
        if not (rel(path).startswith("src/mod/") or rel(path) == "mod_auth_itsme.c"):
            continue
        if not path.endswith(".c") or rel(path) in ("src/mod/logbind.c", "src/mod/confwarn.c"):
            continue  # the bindings that print tags their callers wrote
        text = read(path)
        for m in call.finditer(text):
            q = text.find('"', m.end())
            fmt = text[q + 1:q + 12] if q >= 0 else ""
            if not fmt.startswith("ITSME"):
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{rel(path)}:{line}: log call without an ITSMEnnnnn tag")
    return problems


def check_directives_documented(files):
    code = set()
    for path in files:
        code.update(re.findall(r'AP_INIT_\w+\(\s*"(Itsme\w+)"', read(path)))
    docs = set(re.findall(r"^## (Itsme\w+)\s*$", read(os.path.join(REPO, "docs/directives.md")), re.M))
    readme = read(os.path.join(REPO, "README.md"))
    problems = [f"{d} is not documented in docs/directives.md" for d in sorted(code - docs)]
    problems += [f"docs/directives.md documents {d}, which the module does not have" for d in sorted(docs - code)]
    problems += [f"{d} is not named in README.md" for d in sorted(code) if not re.search(r"\b%s\b" % d, readme)]
    if not code:
        problems.append("no directives found in the command table")
    return problems


def split_args(text, start):
    """The top-level comma-separated arguments of the call whose '(' is at start."""
    args, depth, cur, i = [], 0, "", start + 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            cur += text[i:j + 1]
            i = j + 1
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                args.append(cur.strip())
                return args
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
            i += 1
            continue
        cur += ch
        i += 1
    return args


def context_of(flags):
    """The docs' Context text for a req_override expression's flag names."""
    where = []
    if "RSRC_CONF" in flags:
        where.append("server")
    htaccess = any(f.startswith("OR_") for f in flags)
    if "ACCESS_CONF" in flags or htaccess:
        where.append("directory" if htaccess else "directory (not `.htaccess`)")
    return ", ".join(where)


def check_directive_scopes(files):
    code = {}
    for path in files:
        text = read(path)
        macros = dict(re.findall(r"^#define\s+(\w+)\s+(.+)$", text, re.M))
        for m in re.finditer(r"AP_INIT_\w+\(", text):
            args = split_args(text, m.end() - 1)
            name = re.fullmatch(r'"(Itsme\w+)"', args[0]) if args else None
            if not name or len(args) < 4:
                continue
            expr = args[3]
            for _ in range(3):
                expr = re.sub(r"\b[A-Z_]+\b", lambda t: macros.get(t.group(0), t.group(0)), expr)
            code[name.group(1)] = context_of(set(re.findall(r"\b[A-Z_]+\b", expr)))
    docs = read(os.path.join(REPO, "docs/directives.md"))
    problems = []
    for sec in re.split(r"^(?=## )", docs, flags=re.M):
        name = re.match(r"## (Itsme\w+)\s*$", sec, re.M)
        if not name or name.group(1) not in code:
            continue
        ctx = re.search(r"^- \*\*Context:\*\* (.+?)\s*$", sec, re.M)
        want = code[name.group(1)]
        if not ctx:
            problems.append(f"docs/directives.md: {name.group(1)} has no **Context:** line ({want})")
        elif ctx.group(1) != want:
            problems.append(f"docs/directives.md: {name.group(1)} Context is '{ctx.group(1)}', "
                            f"the command table says '{want}'")
    return problems


def check_layering(files):
    problems = []
    for path in files:
        r, text = rel(path), read(path)
        includes = re.findall(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', text, re.M)
        for inc in includes:
            base = os.path.basename(inc)
            httpd_header = "/" not in inc and (inc == "httpd.h" or inc.startswith(("http_", "ap_", "mod_")))
            if r.startswith("src/core/") and httpd_header:
                problems.append(f"{r}: libitsme includes httpd header {inc}")
            if base == "jansson.h" and r != "src/core/json.c":
                problems.append(f"{r}: includes jansson (only src/core/json.c may)")
            if inc.startswith("curl/") and r != "src/core/http_client.c":
                problems.append(f"{r}: includes curl (only src/core/http_client.c may)")
            if inc.startswith("cjose/"):
                problems.append(f"{r}: includes cjose (the module does its JOSE on OpenSSL EVP)")
    return problems


def check_file_length(files):
    problems = []
    for path in files:
        if path.endswith(".c"):
            n = read(path).count("\n")
            if n > MAX_LINES:
                problems.append(f"{rel(path)}: {n} lines (limit {MAX_LINES}); split it by concern")
    return problems


def check_licence_lines(_files):
    """Every tracked source file names its licence in its first two lines."""
    out = subprocess.run(["git", "-C", REPO, "ls-files", "*.c", "*.h", "*.py", "*.sh", "*.js",
                          "*.mjs", ".ci/run", "configure.ac", "Makefile.am",
                          "debian/rules"], capture_output=True, text=True)
    if out.returncode != 0:
        return []  # not a git checkout (a release tarball): nothing to compare with
    problems = []
    for name in out.stdout.split():
        head = read(os.path.join(REPO, name)).split("\n", 2)[:2]
        if not any("SPDX-License-Identifier: Apache-2.0" in ln for ln in head):
            problems.append(f"{name}: no SPDX-License-Identifier line at the top")
    return problems


CHECKS = [
    ("log tags unique", check_tags_unique),
    ("glue log calls tagged", check_glue_calls_tagged),
    ("directives documented", check_directives_documented),
    ("directive scopes documented", check_directive_scopes),
    ("core layering", check_layering),
    ("file length", check_file_length),
    ("licence lines", check_licence_lines),
]


def main():
    files = sources()
    passed = failed = 0
    for name, fn in CHECKS:
        problems = fn(files)
        if problems:
            failed += 1
            print(f"FAIL {name}")
            for p in problems:
                print(f"     {p}")
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
