"""A local stand-in for Statistics Denmark's API (v1) on 127.0.0.1, replaying recorded responses.

``tableinfo`` answers with the recorded ``tableinfo_<TABLE>.json``. ``data`` answers as the API does, from the
recorded full response of the table (labels, ``;``, a BOM, CRLF): the rows of the requested value codes (mapped to
their labels through the tableinfo; ``*`` for all) and, for a variable left out of the request, the rows at its
total (the variable's first value, as the API eliminates it) without that column. No test reaches the internet.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).parent / "data" / "statbank"

#: The recorded full response of each table.
RECORDED = {
    "REGK31": "regk31_labels.csv",
    "BUDK32": "budk32_bulk.csv",
    "FOLK1A": "folk1a.csv",
    "HAND01": "hand01_quarters.csv",
    "ARE207": "are207.csv",
}


def tableinfo(table: str) -> dict:
    return json.loads((DATA / f"tableinfo_{table.upper()}.json").read_text(encoding="utf-8-sig"))


def answer(table: str, body: dict) -> str:
    """The API's CSV answer to a data request for ``table``, from its recorded response."""
    info = tableinfo(table)
    text = (DATA / RECORDED[table.upper()]).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, rows = rows[0], [r for r in rows[1:] if r]
    asked = {v["code"].casefold(): v["values"] for v in body.get("variables", [])}
    keep = list(range(len(header)))
    for var in info["variables"]:
        col = next(i for i, h in enumerate(header) if h.casefold() == var["id"].casefold())
        labels = {v["id"]: v["text"] for v in var["values"]}
        if var["id"].casefold() in asked:
            codes = asked[var["id"].casefold()]
            if codes != ["*"]:
                wanted = {labels[c] for c in codes}
                rows = [r for r in rows if r[col] in wanted]
        else:
            total = var["values"][0]["text"]
            rows = [r for r in rows if r[col] == total]
            keep.remove(col)
    out = [";".join(header[i] for i in keep)] + [";".join(r[i] for i in keep) for r in rows]
    return "\ufeff" + "\r\n".join(out) + "\r\n"


class Replay(BaseHTTPRequestHandler):
    """The handler; the server's ``log`` records every request, ``fail`` says how to misbehave."""

    def do_POST(self):  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
        endpoint = self.path.rstrip("/").rsplit("/", 1)[-1]
        table = str(body.get("table", "")).upper()
        server = self.server
        server.log.append({"endpoint": endpoint, **body})
        failure = server.fail(len(server.log), endpoint, body) if server.fail else None
        if failure == 429:  # too many requests: come back in 7 seconds
            return self._send(429, b"Too Many Requests", "text/plain", {"Retry-After": "7"})
        if failure:
            return self._send(503, b"Service Unavailable", "text/plain")
        if table not in RECORDED:
            error = {
                "errorTypeCode": "EXTRACT-NOTFOUND",
                "message": f"Tabellen '{body.get('table')}' findes ikke.",
            }
            return self._send(400, json.dumps(error).encode("utf-8"), "application/json")
        if endpoint == "tableinfo":
            return self._send(200, json.dumps(tableinfo(table)).encode("utf-8"), "application/json")
        return self._send(200, answer(table, body).encode("utf-8"), "text/csv; charset=utf-8")

    def _send(self, status, payload, content_type, headers=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class ReplayServer:
    """``with ReplayServer() as url:`` a replaying API at ``url`` (``http://127.0.0.1:PORT/v1``)."""

    def __init__(self, fail=None):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
        self.httpd.log = []
        self.httpd.fail = fail

    @property
    def log(self) -> list[dict]:
        return self.httpd.log

    def __enter__(self) -> str:
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
