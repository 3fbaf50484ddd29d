#!/usr/bin/env python3
"""Suggestions through the HTTP API, over every assignment of a Guangzhou month (issue 25).

The solver's own figures come from `solver/examples/suggest_bench.rs`; this measures what a
coordinator's page waits for: `GET /api/v1/versions/{id}/suggestions` with the version read
from the store and the centre's problem assembled, for every duty of each centre's month
(replacing the lawyer there, as the page asks). Prints p50, p99 and the slowest per centre
and over all.

Usage (a server with the demo data, and an admin token):
    zhiban serve --demo --demo-history false --addr 127.0.0.1:8099 --database-url sqlite:///tmp/sh.db &
    zhiban token create --role admin --database-url sqlite:///tmp/sh.db
    benches/suggest_http.py http://127.0.0.1:8099 TOKEN 2026-11-23
"""

import http.client
import json
import sys
import time
import urllib.parse


def main() -> None:
    base, token, start = sys.argv[1], sys.argv[2], sys.argv[3]
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(method: str, path: str, body=None):
        conn.request(method, path, body=json.dumps(body) if body else None, headers=auth)
        r = conn.getresponse()
        data = r.read()
        if r.status >= 300:
            raise SystemExit(f"{method} {path}: {r.status} {data[:300]!r}")
        return json.loads(data) if data else None

    centres = [c["id"] for c in call("GET", "/api/v1/centres")]
    everything = []
    for centre in centres:
        job = call("POST", "/api/v1/rosters",
                   {"centre_id": centre, "from": start, "weeks": 4, "time_limit_seconds": 60})
        while job["status"] in ("queued", "running"):
            time.sleep(0.5)
            job = call("GET", f"/api/v1/jobs/{job['id']}")
        if job["status"] != "succeeded" or not job.get("version_id"):
            print(f"{centre}: job {job['status']} {job.get('error')}")
            continue
        version = call("GET", f"/api/v1/versions/{job['version_id']}")
        times = []
        for a in version["assignments"]:
            q = urllib.parse.urlencode({
                "station_id": a["station_id"], "date": a["date"], "half_day": a["half_day"],
                "role": a["role"], "replace": a["lawyer_id"],
            })
            t = time.perf_counter()
            call("GET", f"/api/v1/versions/{job['version_id']}/suggestions?{q}")
            times.append((time.perf_counter() - t) * 1000.0)
        everything += times
        show(centre, times)
    show("all centres", everything)


def show(name: str, v: list) -> None:
    if not v:
        return
    v = sorted(v)
    at = lambda q: v[round((len(v) - 1) * q)]
    print(f"{name}: {len(v)} calls, p50 {at(0.5):.1f} ms, p99 {at(0.99):.1f} ms, max {v[-1]:.1f} ms", flush=True)


if __name__ == "__main__":
    main()
