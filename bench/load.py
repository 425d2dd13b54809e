"""Load generators: wrk (closed loop) and a small asyncio open-loop client.

Both are cheap on the client side, which matters on a 2-core machine where
client, server and database share the CPUs.

* `wrk_run`: Debian's wrk with a generated Lua script: every request gets a
  unique Idempotency-Key (phase prefix + thread + counter) and, in the
  spread scenario, a random room type and dates. Status codes are counted in
  Lua; latency percentiles come from wrk's histogram.
* `open_loop`: requests sent at a fixed arrival rate whatever the server
  does (one connection per request, as gunicorn's sync workers close them);
  latency is measured from the *scheduled* send time, so a server that falls
  behind shows it (no coordinated omission).
"""
from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

BOOKING_BODY = ('{"hotelID":"%s","roomTypeID":"%s","checkInDate":"%s","checkOutDate":"%s","numberOfRooms":1,'
                '"numberOfGuests":2,"guestInfo":{"firstName":"Bench","lastName":"Http","email":"bench@example.com",'
                '"phone":"010-1234-5678","language":"ko"},"paymentMethod":"card"}')


_RESERVATION_ID = re.compile(rb'"reservationID": *"([^"]+)"')


@dataclass
class LoadResult:
    requests: int
    seconds: float
    statuses: dict[int, int]
    p50_ms: float
    p99_ms: float
    socket_errors: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def count(self, status: int) -> int:
        return self.statuses.get(status, 0)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


_LUA = r"""
local targets = %(targets)s
local dates = %(dates)s
local fixed_nights = %(fixed_nights)s
local prefix = "%(prefix)s"
local method, path = "%(method)s", "%(path)s"
local ids_file = "%(ids_file)s"
local threads = {}
local counter = 0
statuses = {}
ids = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
  counter = counter + 1
  local t = targets[math.random(#targets)]
  if method == "GET" then
    return wrk.format("GET", path .. t[1], nil, nil)
  end
  local nights = fixed_nights
  if nights == 0 then nights = math.random(1, 3) end
  local i = 1
  if #dates > 4 then i = math.random(#dates - 3) end
  local body = string.format('%(body)s', t[1], t[2], dates[i], dates[i + nights])
  local headers = {["Content-Type"] = "application/json",
                   ["Idempotency-Key"] = prefix .. "-" .. tid .. "-" .. counter}
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    ids[#ids + 1] = string.match(body, '"reservationID": *"([^"]+)"') or "?"
  end
end

function done(summary, latency, requests)
  local agg = {}
  local out = nil
  if ids_file ~= "" then out = io.open(ids_file, "w") end
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for code, n in pairs(s) do agg[code] = (agg[code] or 0) + n end
    if out then
      for _, id in ipairs(t:get("ids")) do out:write(id, "\n") end
    end
  end
  if out then out:close() end
  local parts = {}
  for code, n in pairs(agg) do table.insert(parts, string.format('"%%d":%%d', code, n)) end
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,' ..
      '"socket_errors":%%d,"statuses":{%%s}}\n', summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout,
      table.concat(parts, ",")))
end
"""


def _lua_list(items) -> str:
    out = []
    for item in items:
        if isinstance(item, (tuple, list)):
            out.append("{" + ",".join(json.dumps(str(x)) for x in item) + "}")
        else:
            out.append(json.dumps(str(item)))
    return "{" + ",".join(out) + "}"


def booking_script(prefix: str, targets: list[tuple[int, int]], check_ins: list[date], fixed_nights: int,
                   ids_file: str) -> str:
    """Lua for POST /v1/reservations: random target, check-in from `check_ins`
    (plus 3 more nights of dates), `fixed_nights` nights (0 = random 1–3).
    The reservation ids of the 201 responses are written to `ids_file`."""
    dates = list(check_ins) + [check_ins[-1] + timedelta(days=k) for k in (1, 2, 3)]
    return _LUA % {"targets": _lua_list(targets), "dates": _lua_list(d.isoformat() for d in dates),
                   "fixed_nights": fixed_nights, "prefix": prefix, "method": "POST", "path": "/v1/reservations",
                   "body": BOOKING_BODY, "ids_file": ids_file}


def get_script(path_prefix: str, suffixes: list) -> str:
    """Lua for GET path_prefix + a random suffix."""
    return _LUA % {"targets": _lua_list((s,) for s in suffixes), "dates": "{}", "fixed_nights": 1,
                   "prefix": "get", "method": "GET", "path": path_prefix, "body": "", "ids_file": ""}


def wrk_run(url: str, script: str, connections: int, seconds: float, threads: int = 1) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        proc = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
                               "--timeout", "10s", "-s", path, url],
                              capture_output=True, text=True, timeout=seconds + 60)
    finally:
        Path(path).unlink(missing_ok=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {proc.stdout}\n{proc.stderr}")
    data = json.loads(line[6:])
    return LoadResult(requests=data["requests"], seconds=data["duration_us"] / 1e6,
                      statuses={int(k): v for k, v in data["statuses"].items()},
                      p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000,
                      socket_errors=data["socket_errors"])


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


async def _open_loop(host: str, port: int, make_request, rate: float, seconds: float, timeout: float):
    loop = asyncio.get_running_loop()
    n = int(rate * seconds)
    start = loop.time() + 0.2
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lags: list[float] = []
    created: list[str] = []
    timeouts: list[int] = []
    errors = 0

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        lags.append(loop.time() - scheduled)
        payload = make_request(i)

        async def exchange() -> bytes:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(payload)
            data = await reader.read()
            writer.close()
            return data

        try:
            data = await asyncio.wait_for(exchange(), timeout)
            status = int(data[9:12])
        except asyncio.TimeoutError:
            timeouts.append(i)
            latencies.append(timeout * 1000)  # counted in the percentiles as the timeout
            return
        except (OSError, ValueError):
            errors += 1
            return
        latencies.append((loop.time() - scheduled) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        if status == 201:
            found = _RESERVATION_ID.search(data)
            created.append(found.group(1).decode() if found else "?")

    await asyncio.gather(*(one(i) for i in range(n)))
    return LoadResult(requests=len(latencies), seconds=seconds, statuses=statuses,
                      p50_ms=percentile(latencies, 50), p99_ms=percentile(latencies, 99), socket_errors=errors,
                      extra={"max_send_lag_ms": max(lags) * 1000 if lags else 0.0,
                             "max_ms": max(latencies) if latencies else float("nan"),
                             "created": created, "timeouts": len(timeouts)})


def open_loop(host: str, port: int, make_request, rate: float, seconds: float, timeout: float = 10.0) -> LoadResult:
    """Send `rate` requests per second for `seconds`; make_request(i) → raw HTTP bytes.

    A request still unanswered after `timeout` seconds is given up and counted
    in the percentiles as `timeout` (a server that fell that far behind has
    missed any latency target anyway)."""
    return asyncio.run(_open_loop(host, port, make_request, rate, seconds, timeout))


def http_get(host: str, port: int, path: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n").encode()


def http_post_json(host: str, port: int, path: str, body: str, headers: dict[str, str]) -> bytes:
    raw = body.encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(raw)}\r\n{head}\r\n").encode() + raw


def wait_for_http(host: str, port: int, path: str, timeout: float = 30.0) -> None:
    import http.client

    deadline = time.time() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
