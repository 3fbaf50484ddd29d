"""zhiban's own check for schemathesis: every error answer is RFC 9457 problem+json whose
`status` is the HTTP status (loaded with SCHEMATHESIS_HOOKS by api/tests/schemathesis.rs)."""

import json

import schemathesis
from hypothesis import strategies as st

# Workbooks uploaded for import (POST /api/v1/imports): random bytes, and the start of a zip
# file (an .xlsx is a zip) followed by random bytes; the API must refuse both cleanly.
schemathesis.openapi.media_type(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    st.one_of(st.binary(max_size=4096), st.binary(max_size=4096).map(lambda b: b"PK\x03\x04" + b)),
)


@schemathesis.check
def errors_are_problem_json(ctx, response, case):
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(
            f"{response.status_code} answered with content-type {content_type!r}, not application/problem+json"
        )
    body = json.loads(response.content)
    if body.get("status") != response.status_code:
        raise AssertionError(f"problem status {body.get('status')!r} != HTTP {response.status_code}")
    if not body.get("title"):
        raise AssertionError("a problem without a title")
    return None
