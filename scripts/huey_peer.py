"""Huey's SQLite queue as a peer of the queue benchmark: `SqliteHuey(fsync=True)` (WAL, synchronous=FULL),
4 thread workers; N no-op tasks enqueued, then drained; prints `{"tasks_per_s": …}` as one JSON line.

Run as its own process (never gevent-patched: Huey's workers are real threads), by scripts/bench_queue.py:

    python scripts/huey_peer.py --tasks 3000 --dir /tmp/x
"""

import argparse
import json
import sys
import threading
import time
from pathlib import Path

from huey import SqliteHuey
from huey.consumer import Consumer

WORKERS = 4


def measure(directory: Path, count: int) -> float:
    """Tasks/s of enqueue-then-drain: enqueue `count` no-op tasks, then run a consumer until all ran."""
    huey = SqliteHuey("bench", filename=str(directory / "huey.db"), fsync=True, results=False)
    done = threading.Semaphore(0)

    @huey.task()
    def noop(i):
        done.release()

    consumer = Consumer(huey, workers=WORKERS, worker_type="thread", periodic=False, initial_delay=0.001,
                        max_delay=0.01, check_worker_health=False)
    started = time.perf_counter()
    for i in range(count):
        noop(i)
    consumer.start()
    for _ in range(count):
        if not done.acquire(timeout=120):
            raise RuntimeError("huey did not drain its queue")
    elapsed = time.perf_counter() - started
    consumer.stop(graceful=True)
    return count / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    print(json.dumps({"tasks_per_s": measure(args.dir, args.tasks)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
