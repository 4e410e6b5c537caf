"""A minimal keep-alive client of Assay's JSON API (standard library only), for the generator
and the ingest benchmark: one HTTP/1.1 connection, bodies sent as prepared bytes, every answer
checked (a benchmark of failing requests measures nothing)."""

import http.client
import json
import urllib.parse


class ApiError(RuntimeError):
    pass


class Api:
    def __init__(self, base, token=None, timeout=600):
        u = urllib.parse.urlsplit(base)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the benchmark only talks to loopback, not {u.hostname}")
        self.host, self.port, self.timeout = u.hostname, u.port or 80, timeout
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def raw(self, method, path, body=None):
        """Send `body` (bytes) and answer (status, body bytes); reconnects once if the server
        closed the kept-alive connection."""
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=body, headers=self.headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def call(self, method, path, payload=None, ok=(200, 201)):
        body = None if payload is None else json.dumps(payload).encode()
        status, data = self.raw(method, path, body)
        if status not in ok:
            raise ApiError(f"{method} {path} answered {status}: {data[:300]!r}")
        return json.loads(data) if data else None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def setup_scripts(api, workflow="wf-bench", judge="jd-bench", channels=("production", "staging", "canary")):
    """Publish one workflow and one judge version on every channel the runs use."""
    for kind, name in (("workflow", workflow), ("judge", judge)):
        api.call("POST", f"/api/scripts/{kind}/{name}/versions",
                 {"source": f"# {name}\ndef run(case):\n    return case\n", "model": "bench-model",
                  "channels": list(channels)})


def put_bench(api, bench, cases, workflow="wf-bench", judge="jd-bench", chunk=5_000):
    api.call("PUT", f"/api/benches/{bench}", {"workflow": workflow, "judge": judge,
                                               "description": f"benchmark data: {len(cases)} cases"})
    for s in range(0, len(cases), chunk):
        api.call("PUT", f"/api/benches/{bench}/cases", {"cases": cases[s:s + chunk]})
