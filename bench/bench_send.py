"""Delivery benchmark: ``python3 bench/bench_send.py [--readers 5000]``.

Builds the sample edition (tests/sample), starts a local aiosmtpd server that
accepts and discards messages (in its own process, so it does not share the
client's CPU), then in fresh processes, one after the other:

- ``bare``: a bare ``smtplib`` loop sending a message of the same size to each
  address over one connection;
- ``ours``: ``briefings.deliver.ledger.deliver`` to the same number of subscribers: the
  email composed once, a message addressed to each reader, the SQLite ledger
  written before and after each message, one reused SMTP connection;
- ``ours`` again with a tenth of the readers, to show memory stays flat.

Prints messages per second, the client's CPU seconds, peak resident memory
(``VmHWM``), the time ratio ours / bare (target <= 1.25x; memory flat and under
300 MB at 5,000) and the CPU ratio, which a busy machine disturbs less.
"""

from __future__ import annotations

import argparse
import json
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "sample"
DATE = "2024-04-01"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(port: int) -> None:
    """An SMTP sink until killed."""
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802, ANN001, ARG002
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    controller.stop()


def _edition(out: Path):  # noqa: ANN202
    from briefings.editions import editions

    return editions(out, "river-dispute")[0]


def _sample_message(out: Path) -> bytes:
    from briefings.deliver.mail import compose, message_bytes
    from briefings.deliver.subscribers import Subscriber

    letter = compose(_edition(out), public_url="https://briefings.example.org")
    reader = Subscriber(1, "reader00001@example.org", "Reader 1", (), "red", "active", "", "")
    return message_bytes(letter, reader, unsubscribe_path="/unsubscribe/1/" + "x" * 32)


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited
    from the parent across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def client(kind: str, *, readers: int, port: int, out: Path, work: Path) -> dict[str, float]:
    """One timed run; returns its figures."""
    addresses = [f"reader{n:05d}@example.org" for n in range(readers)]
    if kind == "bare":
        data = _sample_message(out)
        start, cpu = time.perf_counter(), time.process_time()
        conn = smtplib.SMTP("127.0.0.1", port)
        for address in addresses:
            conn.sendmail("briefings@localhost", [address], data)
        conn.quit()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = len(data)
    else:
        from briefings.deliver.ledger import deliver
        from briefings.deliver.state import connect, transaction
        from briefings.deliver.transports import SmtpTransport

        conn_db = connect(work / f"state-{readers}.sqlite3")
        with transaction(conn_db):
            conn_db.executemany(
                "INSERT INTO subscribers (address, address_key, name, tlp, created, updated) "
                "VALUES (?, ?, ?, 'red', 'now', 'now')",
                [(a, a, f"Reader {n}") for n, a in enumerate(addresses)],
            )
        edition = _edition(out)
        start, cpu = time.perf_counter(), time.process_time()
        report = deliver(conn=conn_db, editions=[edition], public_url="https://briefings.example.org",
                         transport=SmtpTransport(f"smtp://127.0.0.1:{port}"))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        if report.sent != readers or not report.ok:
            sys.exit(report.summary())
        size = len(_sample_message(out))
    peak = _peak_mb()
    return {"seconds": seconds, "cpu": cpu, "per_second": readers / seconds, "peak_mb": peak,
            "bytes": size}


def _run_client(kind: str, readers: int, port: int, out: Path, work: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--client", kind, "--readers", str(readers), "--port",
         str(port), "--out", str(out), "--work", str(work)],
        check=False, capture_output=True, text=True,
    )
    if result.returncode:
        sys.exit(f"{kind} run failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=5000)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--client", choices=["bare", "ours"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.client:
        figures = client(args.client, readers=args.readers, port=args.port, out=args.out,
                         work=args.work)
        print(json.dumps(figures))
        return

    sys.path.insert(0, str(ROOT))
    from briefings.publish.build import build

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        out = work / "out"
        build(seeds=SAMPLE, templates=None, out=out, date=DATE, jobs=1)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        try:
            assert server.stdout is not None
            assert server.stdout.readline().strip() == "ready"
            small = max(1, args.readers // 10)
            bare = _run_client("bare", args.readers, port, out, work)
            ours = _run_client("ours", args.readers, port, out, work)
            ours_small = _run_client("ours", small, port, out, work)
        finally:
            server.communicate("", timeout=60)
    print(f"message size: {bare['bytes'] / 1024:.0f} KB (PDF attached)")
    for label, figures, count in (
        ("bare smtplib loop", bare, args.readers),
        ("briefings deliver", ours, args.readers),
        ("briefings deliver", ours_small, small),
    ):
        print(f"{label:18} {count:5d} readers: {figures['seconds']:7.2f} s, "
              f"{figures['per_second']:6.0f} msg/s, client CPU {figures['cpu']:6.2f} s, "
              f"peak RSS {figures['peak_mb']:6.1f} MB")
    print(f"time ratio ours / bare: {ours['seconds'] / bare['seconds']:.2f}x (target <= 1.25x)")
    print(f"client CPU ratio ours / bare: {ours['cpu'] / bare['cpu']:.2f}x (less sensitive to "
          "a busy machine than the time)")
    print(f"memory: {ours_small['peak_mb']:.1f} MB at {small} readers -> "
          f"{ours['peak_mb']:.1f} MB at {args.readers} (target: flat, < 300 MB)")


if __name__ == "__main__":
    main()
