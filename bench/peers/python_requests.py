"""Peer: a sequential Python loop with requests.Session (keep-alive), as a
Python user writes it: log in once, pages until a short one, wait and retry
on 429 (Retry-After) and 5xx, up to 5 attempts a page.

    python3 bench/peers/python_requests.py URL PAGE_SIZE

Prints "count N unique N sum S", then "listing SECONDS" (the loop after the
login, the span cwa.lua reports). Env: BENCH_CONDITION, BENCH_CA, BENCH_FIELDS
(sent as includeFields on every page request when set, e.g. Id).
"""
import os
import sys
import time

import requests


def main():
    base = sys.argv[1] + "/cwa/api/v1"
    page_size = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    condition = os.environ.get("BENCH_CONDITION", "Id > 0")
    fields = os.environ.get("BENCH_FIELDS")
    session = requests.Session()
    session.headers["ClientId"] = "bench"
    if os.environ.get("BENCH_CA"):
        session.verify = os.environ["BENCH_CA"]

    def call(method, url, **kw):
        for attempt in range(1, 6):
            r = session.request(method, url, **kw)
            if r.status_code == 200:
                return r.json()
            if attempt == 5 or not (r.status_code == 429 or r.status_code >= 500):
                r.raise_for_status()
                raise RuntimeError("HTTP %d" % r.status_code)
            time.sleep(float(r.headers.get("Retry-After", 1)) if r.status_code == 429 else 1)
        return None

    token = call("POST", base + "/apitoken",
                 json={"UserName": "integrator", "Password": "integrator-pass"})["AccessToken"]
    session.headers["Authorization"] = "Bearer " + token
    t0 = time.monotonic()
    count = total = 0
    seen = set()
    page = 1
    while True:
        params = {"page": page, "pageSize": page_size, "condition": condition}
        if fields:
            params["includeFields"] = fields
        records = call("GET", base + "/Computers", params=params)
        for rec in records:
            count += 1
            total += rec["Id"]
            seen.add(rec["Id"])
        if len(records) < page_size:
            break
        page += 1
    elapsed = time.monotonic() - t0
    print("count %d unique %d sum %d" % (count, len(seen), total))
    print("listing %.4f" % elapsed)


if __name__ == "__main__":
    main()
