"""Celery 5 side of bench/tasks/celery.ts: same Redis, same task work, same producer concurrency.

  python3 celery_bench.py worker <redis-url> <queue> <concurrency> <prefetch-multiplier>
  python3 celery_bench.py enqueue <redis-url> <queue> <jobs> <producer-concurrency> <key>
  python3 celery_bench.py latency <redis-url> <queue> <samples> <key>

`enqueue` prints {"seconds": ..}; `latency` sends one job at a time to an idle worker, each after the last started.
"""
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import redis
from celery import Celery

mode, url, queue = sys.argv[1], sys.argv[2], sys.argv[3]
app = Celery("bench", broker=url, backend=url)
app.conf.update(
    task_default_queue=queue,
    # Results are stored, as the ai-stack task layer stores them (its resultTtl).
    task_ignore_result=False,
    result_expires=600,
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
    broker_connection_retry_on_startup=True,
)
r = redis.Redis.from_url(url)


@app.task(name="bench.noop")
def noop(enqueued_ms, key):
    started = time.time() * 1000
    pipe = r.pipeline()
    pipe.incr(key + ":done")
    pipe.set(key + ":first", str(int(started)), nx=True)
    pipe.rpush(key + ":lat", started - enqueued_ms)
    pipe.execute()


if mode == "worker":
    concurrency, prefetch = sys.argv[4], sys.argv[5]
    app.conf.worker_prefetch_multiplier = int(prefetch)
    app.worker_main(["worker", "-Q", queue, "-c", concurrency, "-P", "prefork", "--without-gossip",
                     "--without-mingle", "--without-heartbeat", "-l", "WARNING"])
elif mode == "enqueue":
    jobs, producers, key = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    noop.apply_async((time.time() * 1000, key + "-warm"))  # connections and producer pool open
    start = time.time()
    with ThreadPoolExecutor(max_workers=producers) as pool:
        list(pool.map(lambda _: noop.apply_async((time.time() * 1000, key)), range(jobs)))
    print(json.dumps({"seconds": time.time() - start}))
else:
    samples, key = int(sys.argv[4]), sys.argv[5]
    for i in range(samples):
        noop.apply_async((time.time() * 1000, key))
        while int(r.get(key + ":done") or 0) < i + 1:
            time.sleep(0.0005)
