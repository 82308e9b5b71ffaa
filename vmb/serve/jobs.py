"""Jobs of the web server: a bounded queue, worker threads and a private job folder with quotas.

A job is addressed by a random id and reachable only with its own random token; its files live
in ``<jobs folder>/<id>/`` under names the server chose. Finished jobs older than the age quota,
or the oldest ones while the folder is over its size or count quota, are removed.
"""

from __future__ import annotations

import hmac
import queue
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vmb import VmbError

JOB_ID = re.compile(r"^[0-9a-f]{32}$")  # what new_job_id makes; anything else (a path, '..') is no job
TERMINAL = ("done", "failed")
# stages in the order StageTimer reports them: the progress fraction is the stage's place here
STAGES = {
    "text": ("describe", "retrieve", "compose", "render", "write"),
    "image": ("describe", "retrieve", "compose", "render", "write"),
    "video": ("analyse + describe video", "beat map", "retrieve", "compose", "render", "write"),
}


@dataclass
class ServeConfig:
    """How the server runs; every limit is configurable (``vmb serve --help``)."""

    jobs_dir: Path | None = None  # None: a fresh private folder under the system temp folder
    workers: int = 1  # generations at once (one per core is the most that helps)
    queue_size: int = 8  # jobs waiting beyond the running ones; a full queue answers 429
    max_upload_bytes: int = 200 * 1024 * 1024  # request bodies (uploads) larger than this answer 413
    max_job_age_s: float = 3600.0  # finished jobs are removed after this long
    max_jobs_bytes: int = 2 * 1024**3  # the job folder's size quota
    max_jobs: int = 500  # jobs kept (finished ones beyond are removed oldest first)
    cors_origins: tuple[str, ...] = ()  # no CORS unless origins are named
    library: str | None = None  # the music library folder (default: $VMB_LIBRARY or the data folder)
    warm_up: bool = True  # load the models and the library with one short job before serving


class QueueFull(VmbError):
    """The queue holds ``queue_size`` waiting jobs: try again later (HTTP 429)."""


class StorageFull(VmbError):
    """The job folder is over its size quota with unfinished jobs alone (HTTP 507)."""


class JobNotFound(VmbError):
    """No job with this id and token (HTTP 404)."""


@dataclass
class Job:
    """One generation (or its failure) with its files; ``version`` grows on every change."""

    id: str
    token: str
    kind: str  # text | image | video
    folder: Path
    options: dict  # the accepted options as the client sent them (for "again")
    work: Callable[["Job"], None] | None = None  # what the worker runs; dropped when it is done
    status: str = "queued"  # queued | running | done | failed
    stage: str | None = None
    progress: float = 0.0  # 0..1
    error: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # file name -> what it is (audio, midi, ...)
    upload: str | None = None  # the uploaded input's file name, for "again"
    result: dict = field(default_factory=dict)  # the text bridge, the references, the plan
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    version: int = 0
    size_bytes: int = 0

    def advance(self, stage: str) -> None:
        """The pipeline's progress callback: the stage it starts."""
        order = STAGES[self.kind]
        if stage in order:
            self.progress = order.index(stage) / len(order)
        self.stage = stage
        self.version += 1

    def hide_folder(self, message: str) -> str:
        """``message`` without the server's folder: a client sees only the job's own file names."""
        return message.replace(str(self.folder) + "/", "").replace(str(self.folder), "the job folder")

    def status_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "status": self.status, "stage": self.stage,
                "progress": round(self.progress, 3), "error": self.error, "created": self.created,
                "started": self.started, "finished": self.finished, "options": self.options}


def new_job_id() -> str:
    return secrets.token_hex(16)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class JobQueue:
    """The jobs, a bounded queue of waiting ones and the worker threads that run them."""

    def __init__(self, config: ServeConfig):
        self.config = config
        if config.jobs_dir is None:
            self.root = Path(tempfile.mkdtemp(prefix="vmb-serve-"))  # mode 0700: private to this user
            self.own_root = True
        else:
            self.root = Path(config.jobs_dir)
            self.root.mkdir(parents=True, exist_ok=True)
            self.root.chmod(0o700)
            self.own_root = False
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.waiting: queue.Queue[Job | None] = queue.Queue(maxsize=config.queue_size)
        self.threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self, warm_up: Callable[[], None] | None = None) -> None:
        for i in range(self.config.workers):
            first = warm_up if i == 0 else None
            thread = threading.Thread(target=self._work, args=(first,), name=f"vmb-worker-{i}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        for _ in self.threads:
            self.waiting.put(None)  # blocks only while the queue is full; each worker takes one
        for thread in self.threads:
            thread.join(timeout=30)
        self.threads = []
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------------ jobs

    def new_job(self, kind: str, options: dict) -> Job:
        """A job with its folder, not yet queued (its upload goes into the folder first)."""
        self.clean_up()
        job_id = new_job_id()
        folder = self.root / job_id
        folder.mkdir(mode=0o700)
        return Job(id=job_id, token=secrets.token_urlsafe(24), kind=kind, folder=folder, options=options)

    def submit(self, job: Job, work: Callable[[Job], None]) -> Job:
        """Queue ``job``; QueueFull (its folder removed) when the queue is full."""
        job.work = work
        job.size_bytes = folder_bytes(job.folder)
        with self.lock:
            if self._bytes() + job.size_bytes > self.config.max_jobs_bytes:
                self.discard(job)
                raise StorageFull("the server's job folder is full; try again when older jobs have expired")
            try:
                self.waiting.put_nowait(job)
            except queue.Full:
                self.discard(job)
                raise QueueFull(f"the queue is full ({self.config.queue_size} jobs waiting); try again later") from None
            self.jobs[job.id] = job
        return job

    def discard(self, job: Job) -> None:
        shutil.rmtree(job.folder, ignore_errors=True)

    def get(self, job_id: str, token: str | None) -> Job:
        """The job with this id if ``token`` is its token, else JobNotFound (the same answer for an
        unknown id, a wrong token and anything that is not an id)."""
        job = self.jobs.get(job_id) if JOB_ID.match(job_id or "") else None
        if job is None or token is None or not hmac.compare_digest(job.token.encode(), token.encode()):
            raise JobNotFound(f"no job {job_id!r} for this token")
        return job

    def remove(self, job: Job) -> None:
        with self.lock:
            self.jobs.pop(job.id, None)
        self.discard(job)

    def queue_position(self, job: Job) -> int | None:
        """How many queued jobs are ahead of ``job`` (None unless it is queued)."""
        if job.status != "queued":
            return None
        with self.lock:
            queued = sorted((j for j in self.jobs.values() if j.status == "queued"), key=lambda j: j.created)
        return next((i for i, j in enumerate(queued) if j.id == job.id), None)

    def clean_up(self) -> None:
        """Remove finished jobs past the age quota, then the oldest while over the size or count quota."""
        now = time.time()
        with self.lock:
            finished = sorted((j for j in self.jobs.values() if j.status in TERMINAL), key=lambda j: j.finished)
            doomed = [j for j in finished if now - j.finished > self.config.max_job_age_s]
            kept = [j for j in finished if j not in doomed]
            total, count = self._bytes() - sum(j.size_bytes for j in doomed), len(self.jobs) - len(doomed)
            for job in kept:
                if total <= self.config.max_jobs_bytes and count < self.config.max_jobs:
                    break
                doomed.append(job)
                total, count = total - job.size_bytes, count - 1
            for job in doomed:
                self.jobs.pop(job.id, None)
        for job in doomed:
            self.discard(job)

    def _bytes(self) -> int:
        return sum(j.size_bytes for j in self.jobs.values())

    # ------------------------------------------------------------------ workers

    def _work(self, warm_up: Callable[[], None] | None) -> None:
        if warm_up is not None:
            warm_up()
        while True:
            try:
                job = self.waiting.get(timeout=60.0)
            except queue.Empty:
                self.clean_up()  # an idle server still honours the age quota
                continue
            if job is None:
                return
            self._run(job)

    def _run(self, job: Job) -> None:
        job.status, job.started = "running", time.time()
        job.version += 1
        try:
            job.work(job)
        except (VmbError, ValueError) as exc:  # the user's input: the CLI's one-line message
            job.error = job.hide_folder(str(exc))
        except Exception as exc:  # noqa: BLE001 - a server must outlive one failed job
            job.error = job.hide_folder(f"internal error: {type(exc).__name__}: {exc}")
        job.work = None
        job.size_bytes = folder_bytes(job.folder)
        job.status = "failed" if job.error else "done"
        if not job.error:
            job.progress, job.stage = 1.0, "done"
        job.finished = time.time()
        job.version += 1
