#!/usr/bin/env python3
"""A fault-injecting HTTP/1.1 proxy in front of a moto server, for sgaudit's
integration tests.

    python tests/moto/proxy.py --upstream http://127.0.0.1:MOTO_PORT [--listen-host 127.0.0.1]
        [--fault-rate 0.0] [--latency-ms 0] [--deny-assume-role ACCOUNT_ID ...]
        [--deny ACTION:REGION:ACCOUNT_ID ...] [--record FILE] [--seed N]

Point the client at it as its endpoint (AWS_ENDPOINT_URL=http://127.0.0.1:PORT).
It binds a free port and prints `PORT <n>` as the first line of stdout once it
accepts connections. Every request is forwarded to the upstream (method, path
and query, headers less the hop-by-hop ones, body) and the response relayed,
except that the proxy may answer itself:

  --deny-assume-role ID  an STS AssumeRole whose RoleArn contains ":ID:" gets a
                         bare 403 with an empty body (a denial whose error the
                         SDK cannot parse).
  --deny A:R:ID          action A in region R by account ID gets EC2's
                         UnauthorizedOperation (403). The proxy learns which
                         account an access key acts in from the AssumeRole
                         answers it relays; any other key is moto's default
                         account 123456789012.
  --fault-rate R         about a fraction R of distinct requests fail the first
                         time they are seen, alternately with the service's
                         throttling error and a 500 server error; the same
                         request sent again (the SDK's retry) goes through.
  --latency-ms L         every request waits L ms first.
  --record FILE          one JSON line per request: service, region, action,
                         status returned, injected (null, "throttle", "error",
                         "latency" or "deny").

Requests to /moto-api/ are never faulted. Stops cleanly on SIGTERM or SIGINT.
Standard library only.
"""

import argparse
import hashlib
import http.client
import json
import random
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
              "te", "trailer", "transfer-encoding", "upgrade"}
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")
UPSTREAM_TIMEOUT = 300  # seconds; moto can take a while on large responses
IDLE_TIMEOUT = 300  # seconds a client's keep-alive connection may stay idle


# ------------------------------------------------------------ request facts

class Call:
    """What the proxy knows of one request: the AWS service, region and
    action, read from the SigV4 credential scope and the X-Amz-Target header
    (JSON protocols) or the form body's Action (query protocols)."""

    def __init__(self, method, path, headers, body):
        self.path = path
        self.moto_api = urlsplit(path).path.startswith("/moto-api/")
        self.target = headers.get("X-Amz-Target")
        self.content_type = headers.get("Content-Type", "")
        self.body = body
        self.access_key = self.date = self.region = self.service = None
        m = CREDENTIAL.search(headers.get("Authorization", ""))
        query = parse_qs(urlsplit(path).query)
        if not m and "X-Amz-Credential" in query:  # presigned
            m = CREDENTIAL.search("Credential=" + query["X-Amz-Credential"][0])
        if m:
            self.access_key, self.date, self.region, self.service = m.groups()
        self.form = {}
        if method == "POST" and not self.target and "x-www-form-urlencoded" in self.content_type.lower():
            self.form = parse_qs(body.decode("utf-8", "replace"))
        if self.moto_api:
            self.service, self.action = "moto-api", urlsplit(path).path[len("/moto-api/"):]
        elif self.target:
            self.action = self.target.rsplit(".", 1)[-1]
        else:
            self.action = (self.form.get("Action") or query.get("Action") or [None])[0]

    @property
    def protocol(self):
        """"json", "ec2" (EC2's query dialect), "query", or None (REST, unknown)."""
        if self.target:
            return "json"
        if self.action is None or self.moto_api:
            return None
        return "ec2" if self.service == "ec2" else "query"

    def key(self):
        """Identifies the same request when it is sent again: the retry of a
        request has the same service, region, keys, action and body."""
        h = hashlib.sha256()
        for part in (self.service, self.region, self.access_key, self.action):
            h.update((part or "").encode() + b"\0")
        h.update(self.body)
        return h.hexdigest()


# ------------------------------------------------------------ fault bodies

def fault_response(kind, protocol, request_id, content_type):
    """(status, headers, body) of an AWS error that the SDKs classify as
    throttling (kind "throttle") or as a transient server error ("error")."""
    if protocol == "json":
        code = "ThrottlingException" if kind == "throttle" else "InternalFailure"
        status = 400 if kind == "throttle" else 500
        body = {"__type": code, "message": "Rate exceeded" if kind == "throttle" else "An internal error occurred"}
        if not content_type.startswith("application/x-amz-json"):
            content_type = "application/x-amz-json-1.1"
        headers = {"Content-Type": content_type, "x-amzn-RequestId": request_id, "x-amzn-ErrorType": code}
        return status, headers, json.dumps(body).encode()
    headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
    if protocol == "ec2":
        if kind == "throttle":
            status, code, message = 503, "RequestLimitExceeded", "Request limit exceeded."
        else:
            status, code, message = 500, "InternalError", "An internal error has occurred"
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                f"<RequestID>{request_id}</RequestID></Response>")
        return status, headers, body.encode()
    if kind == "throttle":
        status, who, code, message = 400, "Sender", "Throttling", "Rate exceeded"
    else:
        status, who, code, message = 500, "Receiver", "InternalFailure", "An internal error occurred"
    body = (f"<ErrorResponse><Error><Type>{who}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>")
    return status, headers, body.encode()


class Faults:
    """Decides which requests fail. A request fails only the first time it is
    seen, with probability `rate` drawn from an RNG seeded with (seed, the
    request's key): the same requests fail on every run with the same seed,
    whatever the order they arrive in. Kinds alternate throttle, error, ..."""

    def __init__(self, rate, seed):
        self.rate, self.seed = rate, seed
        self.seen = set()
        self.injected = 0
        self.lock = threading.Lock()

    def decide(self, call):
        if self.rate <= 0 or call.protocol is None:
            return None
        key = call.key()
        with self.lock:
            if key in self.seen:
                return None
            self.seen.add(key)
            if random.Random(f"{self.seed}:{key}").random() >= self.rate:
                return None
            kind = "throttle" if self.injected % 2 == 0 else "error"
            self.injected += 1
            return kind


# ------------------------------------------------------------------ server

class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every response carries Content-Length
    timeout = IDLE_TIMEOUT
    server_version = "sgaudit-moto-proxy"
    sys_version = ""

    def do_request(self):
        body = self.read_body()
        if body is None:
            return
        path = self.path
        if path.startswith(("http://", "https://")):  # absolute form, as sent to an HTTP proxy
            parts = urlsplit(path)
            path = parts.path + ("?" + parts.query if parts.query else "")
        call = Call(self.command, path, self.headers, body)
        cfg = self.server.config
        if cfg.latency_ms > 0:
            time.sleep(cfg.latency_ms / 1000)
        injected = "latency" if cfg.latency_ms > 0 else None
        denied = self.denied(call)
        forbidden = self.forbidden(call)
        fault = None if denied or forbidden or call.moto_api else self.server.faults.decide(call)
        if denied:
            status, injected = 403, "deny"
            self.reply(status, {}, b"")
        elif forbidden:
            status, injected = 403, "deny"
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                    "<Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation."
                    f"</Message></Error></Errors><RequestID>{self.request_id(call)}</RequestID></Response>")
            self.reply(status, {"Content-Type": "text/xml"}, body.encode())
        elif fault:
            status, headers, payload = fault_response(fault, call.protocol, self.request_id(call), call.content_type)
            injected = fault
            self.reply(status, headers, payload)
        else:
            status = self.forward(path, body, call)
        self.server.record(call, status, injected)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_request

    def read_body(self):
        """The request body from Content-Length or chunked encoding; None
        (after answering 400) when it cannot be read."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline()
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:
                    self.send_error(400, "bad chunked body")
                    return None
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def denied(self, call):
        if call.action != "AssumeRole" or not self.server.config.deny_assume_role:
            return False
        role_arn = (call.form.get("RoleArn") or [""])[0]
        return any(f":{account}:" in role_arn for account in self.server.config.deny_assume_role)

    def forbidden(self, call):
        """Whether --deny names this call's action, region and account."""
        if not self.server.config.deny or call.moto_api:
            return False
        account = self.server.account_of(call.access_key)
        return f"{call.action}:{call.region}:{account}" in self.server.config.deny

    def request_id(self, call):
        h = call.key()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

    def forward(self, path, body, call):
        """Sends the request upstream and relays the answer; returns the status."""
        upstream = self.server.upstream
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port or 80, timeout=UPSTREAM_TIMEOUT)
        try:
            conn.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                # Content-Length is set below; Expect: 100-continue was answered already.
                if name.lower() not in HOP_BY_HOP and name.lower() not in ("content-length", "expect"):
                    conn.putheader(name, value)
            if body or self.command in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            resp = conn.getresponse()
            payload = resp.read()
            headers = [(k, v) for k, v in resp.getheaders()
                       if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"]
            status = resp.status
            if call.action == "AssumeRole" and status == 200:
                self.server.learn(call, payload)
        except (OSError, http.client.HTTPException) as e:
            status, headers, payload = 502, [("Content-Type", "text/plain")], f"upstream failed: {e}\n".encode()
        finally:
            conn.close()
        self.reply(status, headers, payload)
        return status

    def reply(self, status, headers, payload):
        """Answers the client: headers is a dict or a list of pairs."""
        headers = list(headers.items()) if isinstance(headers, dict) else headers
        self.send_response_only(status)
        if not any(name.lower() == "date" for name, _ in headers):
            self.send_header("Date", self.date_time_string())
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()

    def log_message(self, format, *args):  # quiet: the record file is the log
        pass


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, config):
        super().__init__((config.listen_host, 0), ProxyHandler)
        self.config = config
        self.upstream = urlsplit(config.upstream)
        self.faults = Faults(config.fault_rate, config.seed)
        self.record_lock = threading.Lock()
        self.record_file = open(config.record, "a", encoding="utf-8") if config.record else None
        self.accounts = {}  # access key -> the account it acts in
        self.accounts_lock = threading.Lock()

    def learn(self, call, payload):
        """The account of the temporary key an AssumeRole answer hands out."""
        role_arn = (call.form.get("RoleArn") or [""])[0]
        account = re.search(r":iam::(\d{12}):", role_arn)
        key = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", payload)
        if account and key:
            with self.accounts_lock:
                self.accounts[key.group(1).decode()] = account.group(1)

    def account_of(self, access_key):
        with self.accounts_lock:
            return self.accounts.get(access_key or "", "123456789012")

    def record(self, call, status, injected):
        line = json.dumps({"service": call.service, "region": call.region, "action": call.action,
                           "status": status, "injected": injected})
        with self.record_lock:
            if self.record_file:  # None without --record, and once closed
                self.record_file.write(line + "\n")
                self.record_file.flush()

    def server_close(self):
        super().server_close()
        if self.record_file:
            with self.record_lock:
                self.record_file.close()
                self.record_file = None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", required=True, help="moto server URL, e.g. http://127.0.0.1:5000")
    p.add_argument("--listen-host", default="127.0.0.1")
    p.add_argument("--fault-rate", type=float, default=0.0, help="fraction of distinct requests to fail once")
    p.add_argument("--latency-ms", type=float, default=0, help="delay before every request")
    p.add_argument("--deny-assume-role", nargs="+", action="extend", default=[], metavar="ACCOUNT_ID",
                   help="answer AssumeRole into these accounts with a bare 403")
    p.add_argument("--deny", nargs="+", action="extend", default=[], metavar="ACTION:REGION:ACCOUNT_ID",
                   help="answer this action in this region for this account with UnauthorizedOperation")
    p.add_argument("--record", metavar="FILE", help="append one JSON line per request")
    p.add_argument("--seed", type=int, default=42, help="seed of the fault decisions")
    config = p.parse_args()
    if not 0 <= config.fault_rate <= 1:
        p.error("--fault-rate must be between 0 and 1")
    if urlsplit(config.upstream).scheme != "http":
        p.error("--upstream must be an http:// URL")

    server = ProxyServer(config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, name="proxy", daemon=True)
    thread.start()
    print(f"PORT {server.server_address[1]}", flush=True)
    while not stop.wait(1):  # a timed wait, so that signals are handled promptly
        pass
    server.shutdown()
    server.server_close()
    print(f"proxy stopped ({server.faults.injected} faults injected)", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
