"""Kapacitor service handlers end to end: a stream task whose alert node
uses a TICKscript handler (`.teams().channelURL(...)`), plus handler specs
bound to its topic through the API (pagerduty2 and smtp, each with a
`match` expression), against a local HTTP receiver and a local SMTP sink
that record exactly what arrives."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from e2e_util import HTTP_TIMEOUT, unique


class HttpReceiver:
    """Records (path, headers, JSON body) of every POST."""

    def __init__(self, status: int = 200):
        self.got: list[tuple[str, dict, dict]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.got.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class SmtpSink:
    """A minimal SMTP server recording each message's envelope and data."""

    def __init__(self):
        self.mails: list[tuple[list[str], str]] = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        f = conn.makefile("rb")
        conn.sendall(b"220 sink ESMTP\r\n")
        envelope: list[str] = []
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode().rstrip("\r\n")
            verb = cmd.split(" ")[0].upper()
            if verb == "EHLO":
                conn.sendall(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == "DATA":
                conn.sendall(b"354 go ahead\r\n")
                data = b""
                while (chunk := f.readline()) != b".\r\n":
                    data += chunk
                with self.lock:
                    self.mails.append((envelope, data.decode()))
                envelope = []
                conn.sendall(b"250 queued\r\n")
            elif verb == "QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                if verb in ("MAIL", "RCPT"):
                    envelope.append(cmd)
                conn.sendall(b"250 ok\r\n")

    def close(self):
        self.sock.close()


def kap(server, method: str, path: str, **kw) -> requests.Response:
    return requests.request(method, server.url + "/kapacitor/v1" + path, timeout=HTTP_TIMEOUT, **kw)


def wait_until(cond, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not cond():
        time.sleep(0.05)
    time.sleep(1.0)  # catch any extra (unexpected) delivery


def test_service_handlers_deliver_service_payloads(server):
    http = HttpReceiver()
    smtp = SmtpSink()
    try:
        topic = "ops-" + unique("t")
        r = kap(server, "POST", f"/alerts/topics/{topic}/handlers", json={
            "id": "pd", "kind": "pagerduty2", "match": "changed()",
            "options": {"url": http.url + "/v2/enqueue", "routing-key": "rk1"},
        })
        assert r.status_code == 200, r.text
        r = kap(server, "POST", f"/alerts/topics/{topic}/handlers", json={
            "id": "mail", "kind": "smtp", "match": "level() == CRITICAL AND \"host\" == 'a'",
            "options": {"host": "127.0.0.1", "port": smtp.port, "from": "kapacitor@example.com",
                        "to": ["ops@example.com"]},
        })
        assert r.status_code == 200, r.text
        r = kap(server, "POST", f"/alerts/topics/{topic}/handlers", json={
            "id": "bad", "kind": "pagerduty2", "match": "level( == 1"})
        assert r.status_code == 400
        assert "invalid match expression" in r.json()["error"]

        db = server.create_db(unique("kap"))
        script = f"""
stream
    |from().measurement('cpu').groupBy('host')
    |alert()
        .id('cpu-{{{{ index .Tags "host" }}}}')
        .message('cpu {{{{ .Level }}}}')
        .details('value {{{{ index .Fields "value" }}}}')
        .crit(lambda: "value" > 90)
        .topic('{topic}')
        .teams().channelURL('{http.url}/teams/hook')
"""
        r = kap(server, "POST", "/tasks", json={
            "id": "cpu_handlers", "type": "stream", "dbrps": [{"db": db, "rp": "autogen"}],
            "script": script, "status": "enabled"})
        assert r.status_code == 200, r.text
        r = kap(server, "POST", "/tasks", json={
            "id": "bad_handler", "type": "stream", "dbrps": [{"db": db, "rp": "autogen"}],
            "script": "stream|from()|alert().slack().routingKey('x')"})
        assert r.status_code == 400
        assert 'no method or property \\"routingKey\\" on slack handler' in r.text

        t0 = int(time.time()) - 100
        for i, v in enumerate([95, 96, 10]):
            server.write_ok(db, f"cpu,host=a value={v} {t0 + i}", precision="s")
        # Teams: every event (CRITICAL, CRITICAL, OK); PagerDuty: changes only
        # (trigger, resolve); SMTP: CRITICAL only.
        wait_until(lambda: len(http.got) >= 5 and len(smtp.mails) >= 2)

        teams = [(h, b) for p, h, b in http.got if p == "/teams/hook"]
        assert [b["title"] for _, b in teams] == [
            "CRITICAL: [cpu-a]", "CRITICAL: [cpu-a]", "OK: [cpu-a]"]
        assert teams[0][1] == {
            "@type": "MessageCard", "@context": "http://schema.org/extensions",
            "title": "CRITICAL: [cpu-a]", "text": "cpu CRITICAL",
            "summary": "CRITICAL: [cpu-a] - cpu CRITICAL...", "themeColor": "CC4A31"}

        pd = [(h, b) for p, h, b in http.got if p == "/v2/enqueue"]
        assert [b["event_action"] for _, b in pd] == ["trigger", "resolve"]
        trigger = pd[0][1]
        assert {k.lower(): v for k, v in pd[0][0].items()}["accept"] == "application/vnd.pagerduty+json;version=2"
        assert (trigger["routing_key"], trigger["dedup_key"]) == ("rk1", "cpu-a")
        assert trigger["payload"]["severity"] == "critical"
        assert trigger["payload"]["source"] == "a"
        assert trigger["payload"]["class"] == "cpu_handlers"
        assert trigger["payload"]["summary"] == "cpu CRITICAL"
        assert pd[1][1] == {"routing_key": "rk1", "dedup_key": "cpu-a", "event_action": "resolve"}

        assert len(smtp.mails) == 2
        envelope, data = smtp.mails[0]
        assert envelope == ["MAIL FROM:<kapacitor@example.com>", "RCPT TO:<ops@example.com>"]
        assert "Subject: cpu CRITICAL\r\n" in data
        assert "Content-Type: text/html; charset=utf-8\r\n" in data
        assert data.endswith("\r\n\r\nvalue 95\r\n")
        assert smtp.mails[1][1].endswith("\r\n\r\nvalue 96\r\n")
    finally:
        http.close()
        smtp.close()
