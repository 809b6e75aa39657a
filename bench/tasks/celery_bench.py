"""Celery 5 peer for bench/tasks/index.ts: same Redis, no-op task, same measurements.

  python3 celery_bench.py worker <redis-url> <queue> <concurrency>
  python3 celery_bench.py drive  <redis-url> <queue> <jobs> <latency-samples>

The driver prints one JSON line: {"jobs_per_s": .., "latencies_ms": [..]}.
"""
import json
import sys
import time

import redis
from celery import Celery

mode, url, queue = sys.argv[1], sys.argv[2], sys.argv[3]
app = Celery("bench", broker=url)
app.conf.update(
    task_default_queue=queue,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
    worker_enable_remote_control=False,
    broker_connection_retry_on_startup=True,
)
r = redis.Redis.from_url(url)


@app.task(name="bench.noop")
def noop(enqueued_ms, key):
    started = time.time() * 1000
    pipe = r.pipeline()
    pipe.incr(key + ":done")
    pipe.rpush(key + ":lat", started - enqueued_ms)
    pipe.execute()


def wait_for(key, n, timeout=600):
    end = time.time() + timeout
    while int(r.get(key + ":done") or 0) < n:
        if time.time() > end:
            raise SystemExit("celery did not finish in time")
        time.sleep(0.005)


if mode == "worker":
    app.worker_main(["worker", "-Q", queue, "-c", sys.argv[4], "-P", "prefork", "--without-gossip",
                     "--without-mingle", "--without-heartbeat", "-l", "WARNING"])
else:
    jobs, samples = int(sys.argv[4]), int(sys.argv[5])
    key = queue + ":run"
    noop.delay(time.time() * 1000, key + "warm")
    wait_for(key + "warm", 1, 120)
    start = time.time()
    for _ in range(jobs):
        noop.delay(time.time() * 1000, key + "tp")
    wait_for(key + "tp", jobs)
    jobs_per_s = jobs / (time.time() - start)
    for i in range(samples):
        noop.delay(time.time() * 1000, key + "lat")
        wait_for(key + "lat", i + 1)
    lat = [float(x) for x in r.lrange(key + "lat:lat", 0, -1)]
    for k in r.scan_iter(match=key + "*"):
        r.delete(k)
    print(json.dumps({"jobs_per_s": jobs_per_s, "latencies_ms": lat}))
