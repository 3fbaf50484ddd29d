"""zhiban's own check for schemathesis: every error answer is RFC 9457 problem+json whose
`status` is the HTTP status (loaded with SCHEMATHESIS_HOOKS by api/tests/schemathesis.rs)."""

import json

import schemathesis


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
