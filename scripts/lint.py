#!/usr/bin/env python3
"""Project lint: the rules in design.md that a compiler does not check.

  - every log tag ITSMEnnnnn is used at exactly one call site;
  - every ap_log_*error call in the glue starts its format with a tag;
  - every directive in the command table is documented in docs/directives.md
    (a "## Name" section) and named in README.md, and every documented
    directive exists;
  - libitsme (src/core) never includes httpd headers; only json.c includes
    jansson, only http_client.c includes curl; nothing in src/ uses cjose;
  - no C file under src/ is longer than 800 lines.

Prints one line per check and a closing "N passed, M failed".
Exit status 0 only when every check passed.
"""
import os
import re
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
    call = re.compile(r"\bap_log_(?:r|c|p)?error\s*\(")
    for path in files:
        if not (rel(path).startswith("src/mod/") or rel(path) == "mod_auth_itsme.c"):
            continue
        if rel(path) == "src/mod/logbind.c":
            continue  # the one binding that prints the core's own tags
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


CHECKS = [
    ("log tags unique", check_tags_unique),
    ("glue log calls tagged", check_glue_calls_tagged),
    ("directives documented", check_directives_documented),
    ("core layering", check_layering),
    ("file length", check_file_length),
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
