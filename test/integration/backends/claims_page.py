#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""CGI page for the demo: shows what mod_auth_itsme passed to the application,
the X-Itsme-* request headers and the ITSME_* environment, as HTML tables."""
import html
import os


def table(title, rows):
    out = [f"<h2>{html.escape(title)}</h2>", "<table>"]
    if not rows:
        out.append("<tr><td><em>none</em></td></tr>")
    for k, v in rows:
        out.append(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


env = os.environ
headers = sorted((k[5:].replace("_", "-").title(), v) for k, v in env.items() if k.startswith("HTTP_X_ITSME_"))
itsme_env = sorted((k, v) for k, v in env.items() if k.startswith("ITSME_"))
user = env.get("REMOTE_USER", "")

print("Content-Type: text/html; charset=utf-8")
print("Cache-Control: no-store")
print()
print(f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>mod_auth_itsme demo</title>
<style>body{{font-family:sans-serif;margin:2em}} th{{text-align:left;padding-right:1em}}
td,th{{border-bottom:1px solid #ddd;padding:.2em .5em}} code{{background:#eee}}</style></head>
<body>
<h1>Logged in with itsme</h1>
<p>REMOTE_USER: <code>{html.escape(user)}</code></p>
<p><a href="/logout">Log out</a></p>
{table("Request headers (X-Itsme-*)", headers)}
{table("Environment (ITSME_*)", itsme_env)}
</body></html>""")
