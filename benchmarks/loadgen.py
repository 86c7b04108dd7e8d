"""A small HTTP/1.1 load generator: N keep-alive connections on asyncio, each sending its
next request as soon as the previous answer is read (closed loop)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Result:
    name: str
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    # Every request sent, warm-up included; and the server's CPU seconds meanwhile.
    sent: int = 0
    web_cpu: float = 0.0
    db_cpu: float = 0.0

    def add(self, other: Result) -> None:
        """Fold another run of the same requests into this one."""
        self.seconds += other.seconds
        self.latencies_ms += other.latencies_ms
        self.errors += other.errors
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.sent += other.sent
        self.web_cpu += other.web_cpu
        self.db_cpu += other.db_cpu

    def per_request(self, seconds: float) -> float:
        """Milliseconds of `seconds` per request sent."""
        return seconds * 1000 / self.sent if self.sent else float("nan")

    @property
    def cpu_ms(self) -> float:
        return self.per_request(self.web_cpu + self.db_cpu)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


def request_bytes(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _sep, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _client(
    port: int,
    make: Callable[[int], bytes],
    ok: Callable[[int], bool],
    deadline: float,
    start_measuring: float,
    result: Result,
    counter: list[int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            now = time.perf_counter()
            if now >= deadline:
                return
            counter[0] += 1
            payload = make(counter[0])
            started = time.perf_counter()
            try:
                writer.write(payload)
                status = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                if started >= start_measuring:
                    result.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if started < start_measuring:
                continue  # warm-up
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if ok(status):
                result.latencies_ms.append(elapsed)
            else:
                result.errors += 1
    finally:
        writer.close()


def run(
    name: str,
    *,
    port: int,
    make: Callable[[int], bytes],
    ok: Callable[[int], bool],
    concurrency: int,
    seconds: float,
    warmup: float,
) -> Result:
    """Closed-loop load for `warmup` + `seconds`; only requests started after the warm-up
    count."""
    result = Result(name=name, seconds=seconds)

    async def main() -> None:
        begin = time.perf_counter()
        counter = [0]
        await asyncio.gather(
            *(
                _client(port, make, ok, begin + warmup + seconds, begin + warmup, result, counter)
                for _n in range(concurrency)
            )
        )
        result.sent = counter[0]

    asyncio.run(main())
    return result


def sequential_ms(
    *, port: int, make: Callable[[int], bytes], count: int, expect: int = 200
) -> list[float]:
    """Latencies of `count` requests one after another on one keep-alive connection."""

    async def main() -> list[float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        timings = []
        try:
            for n in range(count + 20):
                started = time.perf_counter()
                writer.write(make(n))
                status = await _read_response(reader)
                if status != expect:
                    raise SystemExit(f"HTTP {status}")
                if n >= 20:
                    timings.append((time.perf_counter() - started) * 1000)
        finally:
            writer.close()
        return timings

    return asyncio.run(main())


# ---------------------------------------------------------------------------
# Open loop: arrivals at a fixed rate, whatever the answers' speed
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Flow:
    """A kind of visitor: `weight` of every arrivals' share, each sending `steps(n)` (the
    requests and the statuses each must answer) one after another on one connection."""

    name: str
    weight: int
    steps: Callable[[int], list[tuple[bytes, Callable[[int], bool]]]]
    target_p99_ms: float


def open_loop(
    *, port: int, flows: list[Flow], rate: float, seconds: float, warmup: float
) -> dict[str, Result]:
    """Visitors arriving at `rate` per second for `warmup` + `seconds`, each on an idle
    keep-alive connection (a new one when none is idle). A request's latency runs from
    when it was due, so a server that falls behind shows it (no coordinated omission).
    Requests still unanswered 10 s after the end count as errors."""
    results = {flow.name: Result(name=flow.name, seconds=seconds) for flow in flows}
    cycle = [flow for flow in flows for _n in range(flow.weight)]

    async def visit(flow: Flow, n: int, due: float, measured: bool, idle: list) -> None:
        result = results[flow.name]
        started = due
        writer = None
        try:
            if idle:
                reader, writer = idle.pop()
            else:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for payload, ok in flow.steps(n):
                writer.write(payload)
                status = await _read_response(reader)
                elapsed = (time.perf_counter() - started) * 1000
                if measured:
                    result.sent += 1
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if ok(status):
                        result.latencies_ms.append(elapsed)
                    else:
                        result.errors += 1
                started = time.perf_counter()
        except (OSError, asyncio.IncompleteReadError):
            if measured:
                result.errors += 1
            if writer is not None:
                writer.close()
            return
        idle.append((reader, writer))

    async def main() -> None:
        idle: list = []
        tasks = []
        begin = time.perf_counter() + 0.1
        total = int(rate * (warmup + seconds))
        for n in range(total):
            due = begin + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            flow = cycle[n % len(cycle)]
            tasks.append(asyncio.ensure_future(visit(flow, n, due, n >= rate * warmup, idle)))
        done, pending = await asyncio.wait(tasks, timeout=10)
        for task in pending:
            task.cancel()
        for task in done:
            if task.exception() is not None:
                raise task.exception()
        late = len(pending)
        if late:
            # Unanswered: an error of whichever flow; spread them as they were sent.
            for flow in flows:
                results[flow.name].errors += late * flow.weight // len(cycle) or 1
        for _reader, writer in idle:
            writer.close()

    asyncio.run(main())
    return results
