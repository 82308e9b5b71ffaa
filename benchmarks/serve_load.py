"""A load test of `vmb serve` on loopback: 20 clients submitting at once and 50 status polls a second.

For ``--seconds`` (60): 20 client threads each submit a short text job, follow it to the end and
submit the next; a refused job (429) is counted and retried a second later. Beside them one
poller reads the status of random accepted jobs 50 times a second. Then the clients stop, every
accepted job is followed to its end (bounded), and each finished job's audio is downloaded.

It reports: accepted, refused (429), other answers, done / failed / lost (an accepted job that
is no longer reachable, or never finished), poll latency, and the server's memory over the run.
Nothing is asserted; a lost job or an unexpected answer is printed as such.

Run: OMP_NUM_THREADS=1 python benchmarks/serve_load.py [--seconds 60] [--clients 20] [--polls 50]

Measured here (2 cores shared with other work): 649 submissions, 22 accepted and 627 refused with
429, no other answer; all 22 accepted jobs done with their audio, none failed, none lost (the
last finished 26.7 s after the clients stopped); 2,968 status polls (49.0/s), all 200, latency
p50 11.9 ms, p95 35.9 ms, max 613.4 ms; server memory 865 MB at the start, peak and end 1196 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from collections import Counter

import httpx
from serve_speed import MemoryWatch, Server


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--polls", type=float, default=50.0, help="status polls per second")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds of music per job")
    ap.add_argument("--queue-size", type=int, default=8)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    accepted: dict[str, str] = {}  # id -> token
    answers: Counter = Counter()
    polls: list[float] = []
    poll_answers: Counter = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    with Server("--queue-size", str(args.queue_size)) as server:
        with httpx.Client(base_url=server.url, timeout=600) as warm:  # wait for the warm-up job
            job = warm.post("/api/jobs", json={"text": "warm", "duration": 3}).json()
            while warm.get(f"/api/jobs/{job['id']}", params={"token": job["token"]}).json()["status"] != "done":
                time.sleep(0.1)
        watch = MemoryWatch(server.pid, every_s=1.0)

        def client(n: int) -> None:
            with httpx.Client(base_url=server.url, timeout=60) as c:
                i = 0
                while not stop.is_set():
                    body = {"text": f"client {n} job {i}: a lively tune", "duration": args.duration,
                            "seed": n * 1000 + i}
                    answer = c.post("/api/jobs", json=body)
                    with lock:
                        answers[answer.status_code] += 1
                    i += 1
                    if answer.status_code == 429:
                        stop.wait(1.0)
                        continue
                    if answer.status_code != 201:
                        stop.wait(1.0)
                        continue
                    job = answer.json()
                    with lock:
                        accepted[job["id"]] = job["token"]
                    while not stop.is_set():  # follow its own job, slowly
                        status = c.get(f"/api/jobs/{job['id']}", params={"token": job["token"]}).json()
                        if status["status"] in ("done", "failed"):
                            break
                        stop.wait(0.5)

        def poller() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as c:
                next_at = time.perf_counter()
                while not stop.is_set():
                    with lock:
                        ids = list(accepted.items())
                    if ids:
                        job_id, token = random.choice(ids)
                        t0 = time.perf_counter()
                        answer = c.get(f"/api/jobs/{job_id}", params={"token": token})
                        polls.append(time.perf_counter() - t0)
                        poll_answers[answer.status_code] += 1
                    next_at += 1.0 / args.polls
                    stop.wait(max(0.0, next_at - time.perf_counter()))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        threads.append(threading.Thread(target=poller))
        t_start = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join()
        ran_s = time.perf_counter() - t_start

        # every accepted job to its end, bounded: the queue holds at most queue_size + 1 of them
        outcome: Counter = Counter()
        drain_deadline = time.monotonic() + 600
        with httpx.Client(base_url=server.url, timeout=60) as c:
            for job_id, token in accepted.items():
                while True:
                    answer = c.get(f"/api/jobs/{job_id}", params={"token": token})
                    if answer.status_code != 200:
                        outcome["lost"] += 1
                        break
                    status = answer.json()
                    if status["status"] in ("done", "failed"):
                        audio = next((f for f in status["files"] if f["kind"] == "audio"), None)
                        ok = status["status"] == "done" and audio is not None and \
                            len(c.get(audio["url"]).content) == audio["bytes"]
                        outcome["done" if ok else "failed"] += 1
                        break
                    if time.monotonic() > drain_deadline:
                        outcome["lost"] += 1
                        break
                    time.sleep(0.2)
        drained_s = time.perf_counter() - t_start - ran_s
        memory = watch.stop()

    submitted = sum(answers.values())
    print(f"load test: {args.clients} clients for {args.seconds:g} s, {args.duration:g} s jobs, "
          f"queue size {args.queue_size}, 1 worker")
    print(f"submissions {submitted}: accepted {answers[201]}, refused 429 {answers[429]}, "
          f"other {submitted - answers[201] - answers[429]} {dict(answers)}")
    print(f"accepted jobs: done with their audio {outcome['done']}, failed {outcome['failed']}, lost {outcome['lost']} "
          f"(the last ones finished {drained_s:.1f} s after the clients stopped)")
    if polls:
        q = statistics.quantiles(polls, n=100)
        print(f"status polls {len(polls)} ({len(polls) / ran_s:.1f}/s): answers {dict(poll_answers)}; "
              f"latency p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms, max {max(polls) * 1000:.1f} ms")
    print(f"server memory: start {memory['start']:.0f} MB, peak {memory['peak']:.0f} MB, end {memory['end']:.0f} MB")


if __name__ == "__main__":
    main()
