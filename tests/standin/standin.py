#!/usr/bin/env python3
"""A fast AWS stand-in for sgaudit's collection load tests: record moto's
answers for a small seeded organization once, then replay them for a large
synthetic organization, per account and region, at thousands of calls per
second, with added latency and EC2's token buckets.

    standin.py record --upstream http://127.0.0.1:MOTO_PORT --out RECORDING.json
    standin.py serve --recording RECORDING.json --accounts N --regions R
        [--latency-ms L] [--ec2-buckets on|off] [--ec2-rate 100:20] [--ec2-unpaged-rate 50:10]
        [--stats FILE] [--fail-account ID ...] [--org-page-size 20]
    standin.py regions R          the R region names serve answers for, comma-separated
    standin.py loadgen --url http://127.0.0.1:PORT [--connections 32] [--seconds 10]
        [--accounts N] [--regions R] [--action DescribeSecurityGroups]

record and serve bind a free port on 127.0.0.1 (--listen-host to change),
print `PORT <n>` as the first line of stdout once they accept connections,
and stop cleanly on SIGTERM or SIGINT (record then writes the recording,
serve its --stats). Both are one asyncio.Protocol HTTP/1.1 server (keep-alive,
Content-Length bodies, pipelining answered in order): no thread per request;
serve computes each answer synchronously and delays it with loop.call_later.

record  forwards every request to moto and keeps each answer under
        (account acting, region, service, action, canonical request parameters): the
        form body's or JSON body's parameters sorted, so Action, Version,
        NextToken/Marker, LoadBalancerArn, TargetGroupArn, ResourceArns.member.N,
        PrefixListId... all tell answers apart. The account comes from the
        SigV4 credential scope's access key: a key handed out by an AssumeRole
        answer acts in the role's account, any other key in moto's default
        account 123456789012 (the management account). A later answer for the
        same key replaces an earlier one, except that an error never replaces
        a success (the SDK's retries of a failed call).

serve   never contacts moto. It answers:
  - Organizations (JSON protocol): DescribeOrganization, ListRoots,
    ListOrganizationalUnitsForParent, ListAccountsForParent, ListAccounts,
    ListParents, DescribeAccount, for a management account 100000000000 and N
    members 200000000001... (names standin-0001...) dealt round-robin into
    the OUs Workloads/Prod, Workloads/Dev and Sandbox (as seed_org.py's bulk
    scenario); list calls are paged at --org-page-size (20, Organizations'
    maximum) whatever MaxResults asks, with NextToken.
  - STS (query protocol): GetCallerIdentity, and AssumeRole into any account of
    the organization (its temporary access key id is ASIA + the 12-digit
    account + STND, so later requests' SigV4 Credential= tells the account;
    the management account is any other key). AssumeRole into a
    --fail-account, or outside the organization, gets 403 AccessDenied.
  - EC2 DescribeRegions: the first R of the 17 regions enabled by default.
  - everything else: for every (synthetic account, region) the recorded answer
    of a template: member i replays recorded member i mod K (K members in
    the recording, in id order), the management account the recorded
    management account, and a region the same region if it was recorded, else
    the recorded regions in turn. The synthetic account id and region are
    substituted for the template's in the request's parameters (ARNs) before
    the look-up and in the answer after it (OwnerId, ARNs, AZ names, DNS names).
    So resource ids (sg-..., vpc-...) repeat across accounts and regions.
  - a recorded 5xx of a call moto does not implement (SSM
    DescribeInstanceInformation) is answered as AWS answers an account
    without managed instances (an empty list), and counted as "filled".
  - a call the recording lacks: 400 InvalidAction (an action never recorded)
    or 400 InvalidParameterValue (recorded with other parameters), in the
    service's error format (EC2, query, JSON), counted as "unknown" with an
    example of its parameters.
  - With --ec2-buckets on (the default), EC2's published throttling per
    (account, region): Describe* calls share a bucket of 100 tokens refilled
    at 20/s; an unpaginated, unfiltered DescribeInstances,
    DescribeNetworkInterfaces or DescribeSecurityGroups (no MaxResults,
    NextToken, Filter.N or ids) draws from its own bucket of 50 refilled at
    10/s. An empty bucket is answered with HTTP 503 and EC2's
    RequestLimitExceeded error body (the throttled call takes no token).
  - --latency-ms L delays every answer (throttling errors too) by L ms.
  - GET /standin/stats answers the stats as JSON, at any time.
  Stats (--stats FILE, on SIGTERM/SIGINT): calls, calls by service:action,
  throttled (by bucket), unknown and filled calls, denied AssumeRoles, calls
  before the first AssumeRole (the organization walk), account-regions seen
  and their calls, max concurrent connections, peak in-flight requests,
  seconds, CPU seconds and calls per CPU second.

Measured (2 cores shared with a Rust build and the Python load generator,
CPython 3.11, 1,000 accounts x 17 regions, EC2 buckets on; `loadgen`, 32
keep-alive connections): 3,580 calls/s of a 50-group account's 60 KB
DescribeSecurityGroups (7,300 per CPU second of the stand-in), 10,970 calls/s
of DescribeVpcs (23,700 per CPU second); at --latency-ms 50 with 256
connections 4,530 calls/s (the bound is 5,120). The load generator was the
limit each time. Under sgaudit collect (release, 1,000 accounts x 17
regions at 50 ms: 325,351 calls in 150 s, ~2,300/s steady): 38 s of stand-in
CPU, 8,530 calls per CPU second, a quarter of one core.

Standard library only.
"""

import argparse
import asyncio
import collections
import json
import os
import re
import resource
import signal
import sys
import time
from urllib.parse import parse_qsl, unquote_plus, urlsplit

# ------------------------------------------------------------------ constants

# The 17 commercial regions enabled by default in every account (no opt-in).
DEFAULT_REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-southeast-1", "ap-southeast-2", "ca-central-1", "sa-east-1",
]
MOTO_DEFAULT_ACCOUNT = "123456789012"
MANAGEMENT = "100000000000"
MEMBER_BASE = 200000000000
ORG_ID = "o-standin001"
ROOT_ID = "r-stnd"
# (id, name, parent): the OUs of seed_org.py's bulk scenario.
OUS = [("ou-stnd-00000001", "Workloads", ROOT_ID), ("ou-stnd-00000002", "Prod", "ou-stnd-00000001"),
       ("ou-stnd-00000003", "Dev", "ou-stnd-00000001"), ("ou-stnd-00000004", "Sandbox", ROOT_ID)]
MEMBER_OUS = ["ou-stnd-00000002", "ou-stnd-00000003", "ou-stnd-00000004"]
EC2_UNPAGED_ACTIONS = {"DescribeInstances", "DescribeNetworkInterfaces", "DescribeSecurityGroups"}
# Parameters that make one of those calls paginated, filtered or by id (it
# then draws from the ordinary bucket).
EC2_NARROWING = (b"MaxResults=", b"NextToken=", b"Filter.", b"InstanceId.", b"GroupId.", b"GroupName.",
                 b"NetworkInterfaceId.")
# Calls moto does not implement (answered 5xx), and what AWS answers instead
# for an account-region without such resources.
FILLS = {
    ("ssm", "DescribeInstanceInformation"): (200, "application/x-amz-json-1.1", b'{"InstanceInformationList":[]}'),
}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
              "te", "trailer", "transfer-encoding", "upgrade", "content-length", "expect", "date", "server"}
MAX_HEAD = 64 * 1024
REASONS = {100: "Continue", 200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 411: "Length Required", 431: "Request Header Fields Too Large",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
TASKS = set()  # the handlers' tasks in progress
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")


def log(*args):
    print("standin:", *args, file=sys.stderr, flush=True)


# ------------------------------------------------------------- HTTP/1.1 core

class Http(asyncio.Protocol):
    """One client connection. Requests are parsed as bytes arrive; each is
    handed to `app.handle(method, target, headers, body)`, which returns
    either (delay_seconds, response) or an awaitable of a response, a
    response being (status, content_type, body, extra_headers or None).
    Answers go out in request order (pipelining), each when ready."""

    def __init__(self, app):
        self.app = app
        self.buf = bytearray()
        self.head = None  # (method, target, headers, keep_alive, length) of the request being read
        self.pending = collections.deque()  # [response or None, keep_alive] in request order
        self.transport = None
        self.closed = False

    def connection_made(self, transport):
        self.transport = transport
        self.app.stats.connection_opened()

    def connection_lost(self, exc):
        self.closed = True
        self.app.stats.inflight -= len(self.pending)
        self.pending.clear()
        self.app.stats.connection_closed()

    def data_received(self, data):
        buf = self.buf
        buf += data
        while not self.closed:
            if self.head is None:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        self.fail(431)
                    return
                lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
                del buf[:end + 4]
                parts = lines[0].split(" ")
                if len(parts) != 3:
                    self.fail(400)
                    return
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                if "chunked" in headers.get("transfer-encoding", "").lower():
                    self.fail(411)  # Content-Length bodies only (what the AWS SDKs send)
                    return
                try:
                    length = int(headers.get("content-length") or 0)
                except ValueError:
                    self.fail(400)
                    return
                connection = headers.get("connection", "").lower()
                keep_alive = "close" not in connection and (parts[2] == "HTTP/1.1" or "keep-alive" in connection)
                if headers.get("expect", "").lower() == "100-continue":
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.head = (parts[0], parts[1], headers, keep_alive, length)
            method, target, headers, keep_alive, length = self.head
            if len(buf) < length:
                return
            body = bytes(buf[:length])
            del buf[:length]
            self.head = None
            self.dispatch(method, target, headers, body, keep_alive)
            if not keep_alive:
                return  # nothing after a request that closes the connection

    def dispatch(self, method, target, headers, body, keep_alive):
        slot = [None, keep_alive]
        self.pending.append(slot)
        stats = self.app.stats
        stats.inflight += 1
        if stats.inflight > stats.peak_inflight:
            stats.peak_inflight = stats.inflight
        try:
            result = self.app.handle(method, target, headers, body)
        except Exception as e:  # a bug here must not kill the server
            log(f"handler failed on {method} {target}: {e!r}")
            result = (0, (500, "text/plain", f"stand-in error: {e!r}\n".encode(), None))
        if isinstance(result, tuple):
            delay, response = result
            if delay > 0:
                asyncio.get_running_loop().call_later(delay, self.ready, slot, response)
            else:
                self.ready(slot, response)
        else:
            task = asyncio.ensure_future(result)
            TASKS.add(task)  # a strong reference: the loop keeps only weak ones
            task.add_done_callback(TASKS.discard)
            task.add_done_callback(lambda t: self.ready(slot, outcome(t)))

    def ready(self, slot, response):
        if self.closed:
            return
        slot[0] = response
        pending = self.pending
        while pending and pending[0][0] is not None:
            (status, content_type, body, extra), keep_alive = pending.popleft()
            self.app.stats.inflight -= 1
            head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\n"
                    f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"]
            if extra:
                head.extend(f"{k}: {v}\r\n" for k, v in extra)
            if not keep_alive:
                head.append("Connection: close\r\n")
            head.append("\r\n")
            self.transport.write("".join(head).encode("latin-1") + body)
            if not keep_alive:
                self.transport.close()
                self.closed = True
                return

    def fail(self, status):
        body = f"{status} {REASONS.get(status, '')}\n".encode()
        self.transport.write(f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\nContent-Type: text/plain\r\n"
                             f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        self.transport.close()
        self.closed = True


def outcome(task):
    """The response an awaited handler made, or a 502 saying why it made none."""
    if task.cancelled():
        return 502, "text/plain", b"cancelled\n", None
    if task.exception() is not None:
        return 502, "text/plain", f"stand-in error: {task.exception()!r}\n".encode(), None
    return task.result()


class Stats:
    def __init__(self):
        self.started = time.monotonic()
        self.cpu_started = time.process_time()
        self.calls = 0
        self.by_action = collections.Counter()
        self.throttled = collections.Counter()
        self.unknown = collections.Counter()
        self.unknown_examples = {}
        self.filled = collections.Counter()
        self.denied = 0
        self.before_first_assume_role = None
        self.account_regions = collections.Counter()
        self.first_call = self.last_call = self.first_assume_role = None
        self.timeline = collections.Counter()  # calls by second since the first
        self.connections = self.max_connections = self.connections_total = 0
        self.inflight = self.peak_inflight = 0

    def call(self):
        now = time.monotonic()
        if self.first_call is None:
            self.first_call = now
        self.last_call = now
        self.calls += 1
        self.timeline[int(now - self.first_call)] += 1

    def connection_opened(self):
        self.connections += 1
        self.connections_total += 1
        self.max_connections = max(self.max_connections, self.connections)

    def connection_closed(self):
        self.connections -= 1

    def as_json(self):
        seconds = time.monotonic() - self.started
        cpu = time.process_time() - self.cpu_started
        per_ar = list(self.account_regions.values())
        active = (self.last_call - self.first_call) if self.calls else 0
        since_first = (lambda t: round(t - self.first_call, 3) if t is not None else None)
        return {
            "calls": self.calls,
            "first_to_last_call_seconds": round(active, 3),
            "calls_per_second_first_to_last": round(self.calls / active, 1) if active else 0,
            "first_assume_role_at_seconds": since_first(self.first_assume_role),
            "throttled": sum(self.throttled.values()),
            "throttled_by_bucket": dict(self.throttled),
            "unknown": sum(self.unknown.values()),
            "unknown_by_action": dict(self.unknown),
            "unknown_examples": self.unknown_examples,
            "filled": dict(self.filled),
            "assume_role_denied": self.denied,
            "calls_before_first_assume_role": self.before_first_assume_role,
            "account_regions": len(per_ar),
            "calls_per_account_region": {"min": min(per_ar, default=0), "max": max(per_ar, default=0),
                                         "mean": round(sum(per_ar) / len(per_ar), 1) if per_ar else 0},
            "max_connections": self.max_connections,
            "connections_opened": self.connections_total,
            "peak_inflight": self.peak_inflight,
            "seconds": round(seconds, 3),  # since the stand-in started
            "cpu_seconds": round(cpu, 3),
            "calls_per_cpu_second": round(self.calls / cpu, 1) if cpu else 0,
            "by_action": dict(sorted(self.by_action.items())),
            "calls_by_second": [self.timeline.get(i, 0) for i in range(max(self.timeline, default=-1) + 1)],
        }


# --------------------------------------------------------------- AWS facts

def credential(headers, target):
    """(access key, region, service) from the SigV4 Authorization header (or a
    presigned URL's X-Amz-Credential)."""
    auth = headers.get("authorization", "")
    i = auth.find("Credential=")
    if i >= 0:
        scope = auth[i + 11:].split(",", 1)[0].split("/")
        if len(scope) >= 4:
            return scope[0], scope[2], scope[3]
    m = CREDENTIAL.search("Credential=" + unquote_plus(target.partition("X-Amz-Credential=")[2].split("&")[0]))
    return (m.group(1), m.group(3), m.group(4)) if m else (None, None, None)


def canonical(method, target, headers, body):
    """(protocol, action, canonical parameters as bytes): a form body's (or
    query string's) parameters sorted, or a JSON body re-encoded with sorted
    keys. protocol: "json", "query" or None."""
    amz_target = headers.get("x-amz-target")
    if amz_target:
        try:
            doc = json.loads(body) if body else {}
            params = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            params = body
        return "json", amz_target.rsplit(".", 1)[-1], params
    form = body if method == "POST" else target.partition("?")[2].encode()
    pairs = sorted(form.split(b"&")) if form else []
    action = None
    for p in pairs:
        if p.startswith(b"Action="):
            action = p[7:].decode()
            break
    return ("query" if action else None), action, b"&".join(pairs)


def request_id(n):
    return f"{n:08x}-5354-4e44-494e-{n:012x}"


def error(service, protocol, status, code, message, rid):
    """An AWS error in the service's wire format, as the SDKs parse it."""
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, "application/x-amz-json-1.1", body, [("x-amzn-RequestId", rid), ("x-amzn-ErrorType", code)]
    if service == "ec2":
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
                f"<Message>{message}</Message></Error></Errors><RequestID>{rid}</RequestID></Response>")
    else:
        who = "Receiver" if status >= 500 else "Sender"
        body = (f"<ErrorResponse><Error><Type>{who}</Type><Code>{code}</Code><Message>{message}</Message>"
                f"</Error><RequestId>{rid}</RequestId></ErrorResponse>")
    return status, "text/xml", body.encode(), [("x-amzn-RequestId", rid)]


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ------------------------------------------------------------------- record

class Recorder:
    """The recording proxy: forwards to moto, keeps every answer."""

    def __init__(self, upstream, concurrency):
        u = urlsplit(upstream)
        # moto answers one request at a time anyway (the GIL), and a burst of
        # new connections beyond its listen backlog (128) stalls for ~30 s of
        # SYN-ACK retries: few connections at once.
        self.slots = asyncio.Semaphore(concurrency)
        if u.scheme != "http":
            raise SystemExit("--upstream must be an http:// URL")
        self.host, self.port = u.hostname, u.port or 80
        self.stats = Stats()
        self.keys = {}  # access key -> account, from AssumeRole answers
        self.management = MOTO_DEFAULT_ACCOUNT
        self.entries = {}  # (account, region, service, params) -> entry
        self.order = 0

    def handle(self, method, target, headers, body):
        return self.forward(method, target, headers, body)

    async def forward(self, method, target, headers, body):
        self.stats.call()
        async with self.slots:
            return await self.forward_one(method, target, headers, body)

    async def forward_one(self, method, target, headers, body):
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as e:
            return 502, "text/plain", f"upstream unreachable: {e}\n".encode(), None
        try:
            head = [f"{method} {target} HTTP/1.1\r\n"]
            head.extend(f"{k}: {v}\r\n" for k, v in headers.items() if k not in HOP_BY_HOP)
            head.append(f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
            writer.write("".join(head).encode("latin-1") + body)
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            resp_headers = []
            length = None
            chunked = False
            while True:
                line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
                if not line:
                    break
                name, _, value = line.partition(":")
                name, value = name.strip(), value.strip()
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
                if name.lower() not in HOP_BY_HOP:
                    resp_headers.append((name, value))
            if chunked:
                chunks = []
                while True:
                    size = int((await reader.readline()).split(b";")[0].strip(), 16)
                    if size == 0:
                        break
                    chunks.append(await reader.readexactly(size))
                    await reader.readline()
                payload = b"".join(chunks)
            elif length is not None:
                payload = await reader.readexactly(length)
            else:
                payload = await reader.read()
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as e:
            return 502, "text/plain", f"upstream failed: {e!r}\n".encode(), None
        finally:
            writer.close()
        content_type = next((v for k, v in resp_headers if k.lower() == "content-type"), "text/xml")
        extra = [(k, v) for k, v in resp_headers if k.lower() != "content-type"]
        self.keep(method, target, headers, body, status, content_type, payload)
        return status, content_type, payload, extra

    def keep(self, method, target, headers, body, status, content_type, payload):
        if urlsplit(target).path.startswith("/moto-api/"):
            return
        access_key, region, service = credential(headers, target)
        protocol, action, params = canonical(method, target, headers, body)
        account = self.keys.get(access_key or "")
        if action == "AssumeRole" and status == 200:
            role_arn = dict(parse_qsl(body.decode("utf-8", "replace"))).get("RoleArn", "")
            m = re.search(r":iam::(\d{12}):", role_arn)
            k = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", payload)
            if m and k:
                self.keys[k.group(1).decode()] = m.group(1)
        if account is None:
            if action == "GetCallerIdentity" and status == 200:
                m = re.search(rb"<Account>(\d{12})</Account>", payload)
                if m:
                    self.management = m.group(1).decode()
            account = self.management
        key = (account, region, service, action, params.decode("utf-8", "replace"))
        old = self.entries.get(key)
        if old is not None and old["status"] < 300 <= status:
            return  # an error never replaces a success
        self.order += 1
        self.entries[key] = {
            "account": account, "region": region, "service": service, "action": action,
            "protocol": protocol, "params": key[4], "status": status, "content_type": content_type,
            "body": payload.decode("utf-8", "surrogateescape"), "order": self.order,
        }

    def write(self, path):
        members = sorted(set(self.keys.values()) - {self.management})
        regional = {e["region"] for e in self.entries.values() if e["service"] not in ("sts", "organizations")}
        doc = {
            "format": "sgaudit-standin-recording/1",
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "management_account": self.management,
            "members": members,
            "regions": sorted(r for r in regional if r),
            "calls": self.stats.calls,
            "entries": sorted(self.entries.values(), key=lambda e: e["order"]),
        }
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
        os.replace(tmp, path)
        log(f"recorded {len(doc['entries'])} answers ({self.stats.calls} calls) of {len(members)} members "
            f"and the management account {self.management} in {', '.join(doc['regions'])} to {path}")


# -------------------------------------------------------------------- serve

class Bucket:
    __slots__ = ("tokens", "last")

    def __init__(self, tokens, now):
        self.tokens, self.last = tokens, now


class Server:
    """Answers everything from the recording and its own synthesis."""

    def __init__(self, args, recording):
        self.stats = Stats()
        self.latency = args.latency_ms / 1000
        self.buckets_on = args.ec2_buckets == "on"
        self.rates = {"ec2": args.ec2_rate, "ec2-unpaged": args.ec2_unpaged_rate}
        self.buckets = {}
        self.fail = set(args.fail_account)
        self.page = args.org_page_size
        self.n = 0
        # The synthetic organization.
        self.members = [f"{MEMBER_BASE + i:012d}" for i in range(1, args.accounts + 1)]
        self.accounts = {MANAGEMENT: 0, **{a: i for i, a in enumerate(self.members, 1)}}
        self.regions = DEFAULT_REGIONS[:args.regions]
        self.region_set = set(self.regions)
        # The templates.
        self.tmpl_management = recording["management_account"]
        self.tmpl_members = recording["members"]
        tmpl_regions = recording["regions"]
        if not tmpl_regions:
            raise SystemExit("the recording has no regional answers")
        others = iter(range(10 ** 6))
        self.region_map = {r: (r if r in tmpl_regions else tmpl_regions[next(others) % len(tmpl_regions)])
                           for r in self.regions}
        self.index = {}
        self.actions = set()
        for e in recording["entries"]:
            if e["service"] in ("sts", "organizations"):
                continue
            key = (e["account"], e["region"], e["service"], e["action"], e["params"].encode())
            self.index[key] = (e["status"], e["content_type"], e["body"].encode("utf-8", "surrogateescape"))
            self.actions.add((e["service"], e["action"]))
        if not self.tmpl_members:
            log("the recording has no member account (no AssumeRole): members replay the management account")
        self.ou_children = collections.defaultdict(list)
        for ou_id, name, parent in OUS:
            self.ou_children[parent].append((ou_id, name))
        self.parent_of = {MANAGEMENT: ROOT_ID}
        self.accounts_under = collections.defaultdict(list)
        self.accounts_under[ROOT_ID].append(MANAGEMENT)
        for i, a in enumerate(self.members):
            ou = MEMBER_OUS[i % len(MEMBER_OUS)]
            self.parent_of[a] = ou
            self.accounts_under[ou].append(a)
        for ou_id, _, parent in OUS:
            self.parent_of[ou_id] = parent
        self.sessions = {}  # access key -> (role name, session name)

    # -------------------------------------------------------------- dispatch

    def handle(self, method, target, headers, body):
        if target.startswith("/standin/"):
            if target.startswith("/standin/stats"):
                return 0, (200, "application/json", json.dumps(self.stats.as_json(), indent=1).encode(), None)
            return 0, (404, "text/plain", b"not found\n", None)
        st = self.stats
        st.call()
        self.n += 1
        rid = request_id(self.n)
        access_key, region, service = credential(headers, target)
        protocol, action, params = canonical(method, target, headers, body)
        account = self.account_of(access_key)
        st.by_action[f"{service}:{action}"] += 1
        if service == "ec2":
            st.account_regions[(account, region)] += 1
            if self.buckets_on:
                which = "ec2-unpaged" if action in EC2_UNPAGED_ACTIONS and not any(
                    n in params for n in EC2_NARROWING) else "ec2"
                if not self.take(which, account, region):
                    st.throttled[which] += 1
                    return self.latency, error("ec2", "query", 503, "RequestLimitExceeded",
                                               "Request limit exceeded.", rid)
        elif service not in ("sts", "organizations"):
            st.account_regions[(account, region)] += 1
        if service == "sts":
            response = self.sts(action, body, access_key, account, rid)
        elif service == "organizations":
            response = self.organizations(action, params, account, rid)
        elif service == "ec2" and action == "DescribeRegions":
            response = self.describe_regions(rid)
        else:
            response = self.replay(account, region, service, protocol, action, params, rid)
        return self.latency, response

    def take(self, which, account, region):
        burst, rate = self.rates[which]
        now = time.monotonic()
        key = (which, account, region)
        b = self.buckets.get(key)
        if b is None:
            b = self.buckets[key] = Bucket(burst, now)
        else:
            b.tokens = min(burst, b.tokens + (now - b.last) * rate)
            b.last = now
        if b.tokens >= 1:
            b.tokens -= 1
            return True
        return False

    def account_of(self, access_key):
        if access_key and access_key.startswith("ASIA") and access_key[4:16].isdigit():
            return access_key[4:16]
        return MANAGEMENT

    def template_of(self, account):
        i = self.accounts.get(account)
        if i is None:
            return None
        if i == 0 or not self.tmpl_members:
            return self.tmpl_management
        return self.tmpl_members[(i - 1) % len(self.tmpl_members)]

    def unknown(self, service, protocol, action, params, rid, why):
        key = f"{service}:{action}"
        self.stats.unknown[key] += 1
        self.stats.unknown_examples.setdefault(key, {"why": why, "params": params.decode("utf-8", "replace")[:300]})
        if (service, action) in self.actions:
            return error(service, protocol, 400, "InvalidParameterValue",
                         f"The stand-in's recording has no answer for these parameters of {action}.", rid)
        if protocol == "json":
            return error(service, protocol, 400, "UnknownOperationException", f"Unknown operation {action}.", rid)
        return error(service, protocol, 400, "InvalidAction",
                     f"The action {action} is not valid for this web service.", rid)

    # ---------------------------------------------------------------- replay

    def replay(self, account, region, service, protocol, action, params, rid):
        tmpl_account = self.template_of(account)
        tmpl_region = self.region_map.get(region)
        if tmpl_account is None:
            return self.unknown(service, protocol, action, params, rid, f"account {account} is not in the organization")
        if tmpl_region is None:
            if service == "ec2":
                self.stats.unknown[f"{service}:{action}"] += 1
                return error(service, protocol, 401, "AuthFailure",
                             "AWS was not able to validate the provided access credentials", rid)
            return self.unknown(service, protocol, action, params, rid, f"region {region} is not served")
        p = params
        if account != tmpl_account:
            p = p.replace(account.encode(), tmpl_account.encode())
        if region != tmpl_region:
            p = p.replace(region.encode(), tmpl_region.encode())
        found = self.index.get((tmpl_account, tmpl_region, service, action, p))
        if found is None or found[0] >= 500:
            fill = FILLS.get((service, action))
            if fill is not None:
                self.stats.filled[f"{service}:{action}"] += 1
                return fill[0], fill[1], fill[2], [("x-amzn-RequestId", rid)]
            if found is None:
                return self.unknown(service, protocol, action, params, rid, "not recorded")
        status, content_type, body = found
        if tmpl_account != account:
            body = body.replace(tmpl_account.encode(), account.encode())
        if tmpl_region != region:
            body = body.replace(tmpl_region.encode(), region.encode())
        return status, content_type, body, [("x-amzn-RequestId", rid)]

    # ------------------------------------------------------------------ EC2

    def describe_regions(self, rid):
        items = "".join(f"<item><regionName>{r}</regionName><regionEndpoint>ec2.{r}.amazonaws.com</regionEndpoint>"
                        f"<optInStatus>opt-in-not-required</optInStatus></item>" for r in self.regions)
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeRegionsResponse '
                f'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>{rid}</requestId>'
                f"<regionInfo>{items}</regionInfo></DescribeRegionsResponse>")
        return 200, "text/xml;charset=UTF-8", body.encode(), [("x-amzn-RequestId", rid)]

    # ------------------------------------------------------------------ STS

    def sts(self, action, body, access_key, account, rid):
        ns = "https://sts.amazonaws.com/doc/2011-06-15/"
        meta = f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
        if action == "GetCallerIdentity":
            if account == MANAGEMENT:
                arn, user = f"arn:aws:iam::{account}:user/standin", "AIDASTANDIN000000000"
            else:
                role, session = self.sessions.get(access_key, ("OrganizationAccountAccessRole", "sgaudit"))
                arn, user = f"arn:aws:sts::{account}:assumed-role/{role}/{session}", f"AROASTANDIN{account[:9]}:{session}"
            xml = (f'<GetCallerIdentityResponse xmlns="{ns}"><GetCallerIdentityResult><Arn>{xml_escape(arn)}</Arn>'
                   f"<UserId>{xml_escape(user)}</UserId><Account>{account}</Account></GetCallerIdentityResult>"
                   f"{meta}</GetCallerIdentityResponse>")
            return 200, "text/xml", xml.encode(), [("x-amzn-RequestId", rid)]
        if action == "AssumeRole":
            form = dict(parse_qsl(body.decode("utf-8", "replace")))
            role_arn = form.get("RoleArn", "")
            session = form.get("RoleSessionName", "session")
            m = re.fullmatch(r"arn:[\w-]+:iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)", role_arn)
            target = m.group(1) if m else None
            if self.stats.before_first_assume_role is None:
                self.stats.before_first_assume_role = self.stats.calls - 1
                self.stats.first_assume_role = time.monotonic()
            if target is None or target in self.fail or target not in self.accounts:
                self.stats.denied += 1
                return error("sts", "query", 403, "AccessDenied",
                             f"User: arn:aws:iam::{account}:user/standin is not authorized to perform: "
                             f"sts:AssumeRole on resource: {xml_escape(role_arn)}", rid)
            key = f"ASIA{target}STND"
            self.sessions[key] = (m.group(2), session)
            expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
            xml = (f'<AssumeRoleResponse xmlns="{ns}"><AssumeRoleResult><Credentials>'
                   f"<AccessKeyId>{key}</AccessKeyId><SecretAccessKey>standin/secret/{target}</SecretAccessKey>"
                   f"<SessionToken>standin-session-token-{target}</SessionToken><Expiration>{expires}</Expiration>"
                   f"</Credentials><AssumedRoleUser><AssumedRoleId>AROASTANDIN{target[:9]}:{xml_escape(session)}"
                   f"</AssumedRoleId><Arn>arn:aws:sts::{target}:assumed-role/{m.group(2)}/{xml_escape(session)}</Arn>"
                   f"</AssumedRoleUser></AssumeRoleResult>{meta}</AssumeRoleResponse>")
            return 200, "text/xml", xml.encode(), [("x-amzn-RequestId", rid)]
        return self.unknown("sts", "query", action, b"", rid, "not emulated")

    # -------------------------------------------------------- Organizations

    def account_json(self, a):
        i = self.accounts[a]
        name = "management" if i == 0 else f"standin-{i:04d}"
        return {"Id": a, "Arn": f"arn:aws:organizations::{MANAGEMENT}:account/{ORG_ID}/{a}",
                "Email": f"{name}@example.com", "Name": name, "Status": "ACTIVE", "State": "ACTIVE",
                "JoinedMethod": "INVITED" if i == 0 else "CREATED", "JoinedTimestamp": 1700000000.0}

    def paged(self, items, req, key):
        try:
            start = int(str(req.get("NextToken") or "0").removeprefix("standin-"))
        except ValueError:
            return None
        size = min(self.page, int(req.get("MaxResults") or self.page))
        out = {key: items[start:start + size]}
        if start + size < len(items):
            out["NextToken"] = f"standin-{start + size}"
        return out

    def organizations(self, action, params, account, rid):
        def ok(doc):
            return 200, "application/x-amz-json-1.1", json.dumps(doc).encode(), [("x-amzn-RequestId", rid)]

        def err(code, message):
            return error("organizations", "json", 400, code, message, rid)

        if account != MANAGEMENT:
            return err("AccessDeniedException", "You don't have permissions to access this resource.")
        try:
            req = json.loads(params) if params else {}
        except ValueError:
            return err("SerializationException", "The request body is not JSON.")
        ou_ids = {ou_id for ou_id, _, _ in OUS}
        if action == "DescribeOrganization":
            return ok({"Organization": {
                "Id": ORG_ID, "Arn": f"arn:aws:organizations::{MANAGEMENT}:organization/{ORG_ID}",
                "FeatureSet": "ALL", "MasterAccountArn": f"arn:aws:organizations::{MANAGEMENT}:account/{ORG_ID}/{MANAGEMENT}",
                "MasterAccountId": MANAGEMENT, "MasterAccountEmail": "management@example.com",
                "AvailablePolicyTypes": []}})
        if action == "ListRoots":
            return ok(self.paged([{"Id": ROOT_ID, "Arn": f"arn:aws:organizations::{MANAGEMENT}:root/{ORG_ID}/{ROOT_ID}",
                                   "Name": "Root", "PolicyTypes": []}], req, "Roots"))
        if action in ("ListOrganizationalUnitsForParent", "ListAccountsForParent", "ListChildren"):
            parent = req.get("ParentId")
            if parent != ROOT_ID and parent not in ou_ids:
                return err("ParentNotFoundException", f"parent {parent} not found")
            if action == "ListOrganizationalUnitsForParent":
                items = [{"Id": i, "Name": n, "Arn": f"arn:aws:organizations::{MANAGEMENT}:ou/{ORG_ID}/{i}"}
                         for i, n in self.ou_children[parent]]
                out = self.paged(items, req, "OrganizationalUnits")
            elif action == "ListAccountsForParent":
                out = self.paged([self.account_json(a) for a in self.accounts_under[parent]], req, "Accounts")
            else:
                kind = req.get("ChildType")
                ids = self.accounts_under[parent] if kind == "ACCOUNT" else [i for i, _ in self.ou_children[parent]]
                out = self.paged([{"Id": i, "Type": kind} for i in ids], req, "Children")
        elif action == "ListAccounts":
            out = self.paged([self.account_json(a) for a in self.accounts], req, "Accounts")
        elif action == "ListParents":
            child = req.get("ChildId")
            parent = self.parent_of.get(child)
            if parent is None:
                return err("ChildNotFoundException", f"child {child} not found")
            out = {"Parents": [{"Id": parent, "Type": "ROOT" if parent == ROOT_ID else "ORGANIZATIONAL_UNIT"}]}
        elif action == "DescribeAccount":
            a = req.get("AccountId")
            if a not in self.accounts:
                return err("AccountNotFoundException", f"account {a} not found")
            out = {"Account": self.account_json(a)}
        else:
            return self.unknown("organizations", "json", action, params, rid, "not emulated")
        if out is None:
            return err("InvalidInputException", "The NextToken is not valid.")
        return ok(out)


# --------------------------------------------------------------------- main

def rate(text):
    try:
        burst, per_second = text.split(":")
        return int(burst), float(per_second)
    except ValueError:
        raise argparse.ArgumentTypeError("BURST:PER_SECOND, e.g. 100:20")


async def run_server(app, host, on_stop):
    # A client with a connection pool per SDK client can hold thousands open.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Http(app), host, 0, backlog=4096)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    for task in list(TASKS):
        task.cancel()
    on_stop()


def write_stats(app, path):
    doc = app.stats.as_json()
    if path:
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
        os.replace(path + ".tmp", path)
    log(f"{doc['calls']} calls in {doc['first_to_last_call_seconds']} s ({doc['calls_per_second_first_to_last']}/s, "
        f"{doc['calls_per_cpu_second']} per CPU second), {doc['throttled']} throttled, {doc['unknown']} unknown, "
        f"peak {doc['peak_inflight']} in flight on {doc['max_connections']} connections")


async def loadgen(args):
    """Keeps --connections keep-alive connections busy with one recorded
    kind of EC2 call for --seconds, spread over the synthetic accounts and
    regions; prints calls per second."""
    u = urlsplit(args.url)
    regions = DEFAULT_REGIONS[:args.regions]
    body = f"Action={args.action}&MaxResults=1000&Version=2016-11-15".encode()
    counts = collections.Counter()
    deadline = time.monotonic() + args.seconds

    async def one(c):
        reader, writer = await asyncio.open_connection(u.hostname, u.port)
        n = c
        while time.monotonic() < deadline:
            n += args.connections
            account = f"{MEMBER_BASE + 1 + n % args.accounts:012d}"
            region = regions[n // args.accounts % len(regions)]
            head = (f"POST / HTTP/1.1\r\nHost: ec2.{region}.amazonaws.com\r\n"
                    f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                    f"Authorization: AWS4-HMAC-SHA256 Credential=ASIA{account}STND/20260101/{region}/ec2/"
                    f"aws4_request, SignedHeaders=host, Signature=0\r\n\r\n")
            writer.write(head.encode() + body)
            length = 0
            status = int((await reader.readline()).split()[1])
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            counts[status] += 1
        writer.close()

    started = time.monotonic()
    await asyncio.gather(*(one(c) for c in range(args.connections)))
    elapsed = time.monotonic() - started
    total = sum(counts.values())
    print(json.dumps({"calls": total, "seconds": round(elapsed, 2), "calls_per_second": round(total / elapsed),
                      "by_status": dict(counts)}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="a recording proxy in front of moto")
    rec.add_argument("--upstream", required=True)
    rec.add_argument("--out", required=True)
    rec.add_argument("--listen-host", default="127.0.0.1")
    rec.add_argument("--upstream-concurrency", type=int, default=8, help="requests sent to moto at once (default 8)")
    srv = sub.add_parser("serve", help="replay a recording for a synthetic organization")
    srv.add_argument("--recording", required=True)
    srv.add_argument("--accounts", type=int, required=True, help="member accounts")
    srv.add_argument("--regions", type=int, required=True, help=f"regions, 1-{len(DEFAULT_REGIONS)}")
    srv.add_argument("--latency-ms", type=float, default=0)
    srv.add_argument("--ec2-buckets", choices=["on", "off"], default="on")
    srv.add_argument("--ec2-rate", type=rate, default=(100, 20.0), help="Describe* bucket (default 100:20)")
    srv.add_argument("--ec2-unpaged-rate", type=rate, default=(50, 10.0),
                     help="unpaginated, unfiltered DescribeInstances/NetworkInterfaces/SecurityGroups (default 50:10)")
    srv.add_argument("--stats", metavar="FILE")
    srv.add_argument("--fail-account", nargs="+", action="extend", default=[], metavar="ID")
    srv.add_argument("--org-page-size", type=int, default=20)
    srv.add_argument("--listen-host", default="127.0.0.1")
    reg = sub.add_parser("regions", help="print the names of the first R regions")
    reg.add_argument("count", type=int)
    gen = sub.add_parser("loadgen", help="measure a serving stand-in's calls per second")
    gen.add_argument("--url", required=True)
    gen.add_argument("--connections", type=int, default=32)
    gen.add_argument("--seconds", type=float, default=10)
    gen.add_argument("--accounts", type=int, default=20)
    gen.add_argument("--regions", type=int, default=2)
    gen.add_argument("--action", default="DescribeSecurityGroups")
    args = p.parse_args()

    if args.command == "regions":
        if not 1 <= args.count <= len(DEFAULT_REGIONS):
            p.error(f"between 1 and {len(DEFAULT_REGIONS)} regions")
        print(",".join(DEFAULT_REGIONS[:args.count]))
    elif args.command == "loadgen":
        asyncio.run(loadgen(args))
    elif args.command == "record":
        async def record():
            app = Recorder(args.upstream, max(1, args.upstream_concurrency))
            await run_server(app, args.listen_host, lambda: app.write(args.out))
        asyncio.run(record())
    else:
        if not 1 <= args.regions <= len(DEFAULT_REGIONS):
            p.error(f"--regions: between 1 and {len(DEFAULT_REGIONS)}")
        if args.accounts < 0 or args.org_page_size < 1:
            p.error("--accounts cannot be negative, --org-page-size must be positive")
        with open(args.recording, encoding="utf-8") as f:
            recording = json.load(f)
        app = Server(args, recording)
        log(f"serving {args.accounts} members + the management account x {args.regions} regions from "
            f"{len(app.index)} recorded answers (templates: {len(app.tmpl_members)} members, regions "
            f"{', '.join(sorted(set(app.region_map.values())))}); latency {args.latency_ms} ms, "
            f"EC2 buckets {args.ec2_buckets}")
        asyncio.run(run_server(app, args.listen_host, lambda: write_stats(app, args.stats)))


if __name__ == "__main__":
    main()
