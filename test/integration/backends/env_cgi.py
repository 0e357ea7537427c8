#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""CGI backend for the integration tests: answers with a JSON object of what
the module handed to the application (ITSME_* variables, X-Itsme-* request
headers as HTTP_X_ITSME_*, REMOTE_USER) and every other HTTP_* variable, so
tests can also check that spoofed headers did not get through; as an
ErrorDocument, what the module told it (REDIRECT_ITSME_*, REDIRECT_STATUS)."""
import json
import os

KEEP = ("REMOTE_USER", "AUTH_TYPE", "REQUEST_URI", "QUERY_STRING", "REQUEST_METHOD", "REDIRECT_STATUS")
env = {k: v for k, v in os.environ.items()
       if k.startswith(("HTTP_", "ITSME_", "REDIRECT_ITSME_")) or k in KEEP}
body = json.dumps({"env": env}, sort_keys=True, indent=1)
print("Content-Type: application/json")
print("Cache-Control: no-store")
print()
print(body)
