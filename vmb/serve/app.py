"""The REST API and the web studio: a FastAPI app over :mod:`vmb.api`.

``POST /api/jobs`` takes the ``vmb generate`` options (JSON for a text, or a multipart form with
an ``image`` or ``video`` file and the options as fields) and answers ``{"id", "token"}``; every
job route needs that token (``Authorization: Bearer TOKEN`` or ``?token=TOKEN``). Errors are
JSON ``{"error": "..."}`` with the CLI's one-line message.
"""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

import vmb
from vmb import VmbError, api
from vmb.serve.jobs import TERMINAL, Job, JobNotFound, JobQueue, QueueFull, ServeConfig, StorageFull
from vmb.serve.uploads import BodyLimit, TooLarge, checked_image, checked_video, save_upload
from vmb.vocab import VocabError

STATIC = Path(__file__).parent / "static"
# What a client may set: the generate options that name no server path (no --library,
# --reference, --checkpoint, --soundfont, --vlm-model) and no hour-long work (--allow-long).
JOB_OPTIONS = ("text", "duration", "seed", "genre", "mood", "instrument", "without", "tempo", "key", "meter",
               "loop", "generator", "renderer", "stems", "no_broad", "no_targeted", "exclude", "marker",
               "keep_audio")
FORMATS = ("wav", "flac")  # the music's file format (the CLI picks it from -o's suffix)
UPLOAD_FIELDS = ("image", "video")
MAX_TEXT_CHARS = 100_000  # the text describer reads the first 4,000 characters
DESCRIBE_AT_ONCE = 2  # describe-only requests run beside the queue, at most this many
STATUS_CODES = {JobNotFound: 404, QueueFull: 429, StorageFull: 507, TooLarge: 413}
# what each file a job writes is, by the kind vmb.api.Result.write names it
FILE_KINDS = {"wav": "audio", "flac": "audio", "mp4": "video", "midi": "midi", "json": "sidecar",
              "cues": "cue sheet", "plot": "piano roll", "pianoroll": "piano roll"}


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class Studio:
    """What the app holds once: the job queue, the library, the limits."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self.jobs = JobQueue(config)
        self.describing = threading.BoundedSemaphore(DESCRIBE_AT_ONCE)
        self._library = None
        self._library_lock = threading.Lock()

    def library(self):
        with self._library_lock:
            if self._library is None:
                self._library = api.Library(self.config.library)
            return self._library

    def warm_up(self) -> None:
        """One short job, so the embedder, the checkpoint, the SoundFont and the library are loaded
        before the first request (a warm job is as fast as a warm Python call)."""
        try:
            self.library()
            api.generate_request(api.generation_request("a short warm-up tune", duration=3,
                                                        library=self.config.library))
        except VmbError:
            pass  # the first real job reports what is wrong, as the CLI would
        # What is loaded now (torch, LanceDB, the models: ~300k objects) lives as long as the
        # server. Frozen, the collector's full passes skip it: each cost a job 0.16 s, about one
        # job in three.
        gc.collect()
        gc.freeze()

    # ------------------------------------------------------------------ jobs

    def parse_options(self, raw: dict) -> tuple[dict, str]:
        """The client's options (CLI names; lists or repeated form fields for repeatable ones)
        checked against what a client may set -> (options, music format)."""
        options = dict(raw)
        fmt = options.pop("format", "wav")
        if fmt not in FORMATS:
            raise VmbError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
        for name in options:
            if name.replace("-", "_") not in JOB_OPTIONS:
                raise VmbError(f"option {name!r} is not taken by the server; use {', '.join(JOB_OPTIONS)} or format")
        text = options.get("text")
        if isinstance(text, str) and len(text) > MAX_TEXT_CHARS:
            raise VmbError(f"the text is {len(text):,} characters long; the server takes up to {MAX_TEXT_CHARS:,}")
        return options, fmt

    def submit(self, kind: str, options: dict, fmt: str, upload: Path | None, job: Job) -> Job:
        """Check the request (a bad one costs no queue place), then queue its job."""
        paths = {kind: str(upload)} if upload is not None else {}
        request = api.generation_request(**options, **paths, library=self.config.library)
        name = "scored.mp4" if kind == "video" else f"music.{fmt}"

        def work(job: Job) -> None:
            result = api.generate_request(request, progress=job.advance)
            job.advance("write")
            files = result.write(job.folder / name, plot=True)
            if kind == "video":  # a video's plot is its beat map; the piano roll goes beside it
                files["pianoroll"] = str(result.plot(job.folder / "scored.png"))
            job.files = {Path(path).name: file_kind(k, kind) for k, path in files.items()}
            job.result = result.sidecar() | {"duration_s": result.duration_s}

        job.upload = upload.name if upload is not None else None
        return self.jobs.submit(job, work)

    def status(self, job: Job) -> dict:
        files = [{"name": name, "kind": kind, "url": f"/api/jobs/{job.id}/files/{name}?token={job.token}",
                  "bytes": (job.folder / name).stat().st_size}
                 for name, kind in job.files.items() if (job.folder / name).is_file()]
        return job.status_dict() | {"files": files, "queue_position": self.jobs.queue_position(job)}


def file_kind(kind: str, job_kind: str) -> str:
    if kind.startswith("stem:"):
        return "stem " + kind.removeprefix("stem:")
    if kind == "plot" and job_kind == "video":
        return "beat map"
    return FILE_KINDS.get(kind, kind)


def token_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("token")


async def form_options(request: Request) -> tuple[dict, list[tuple[str, UploadFile]]]:
    """A multipart form -> (options, [(field, file)]); a field given twice is a list."""
    form = await request.form(max_files=2, max_fields=200)
    options: dict = {}
    files = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            files.append((key, value))
        elif key in options:
            options[key] = (options[key] if isinstance(options[key], list) else [options[key]]) + [value]
        else:
            options[key] = value
    return options, files


async def json_body(request: Request) -> dict:
    try:
        body = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise VmbError("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise VmbError("the request body must be a JSON object of options")
    return body


def create_app(config: ServeConfig | None = None) -> FastAPI:
    """The app; its job queue starts with the app (uvicorn, or ``with TestClient(app)``)."""
    config = config or ServeConfig()
    studio = Studio(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        studio.jobs.start(warm_up=studio.warm_up if config.warm_up else None)
        try:
            yield
        finally:
            studio.jobs.stop()

    app = FastAPI(title="vmb studio", version=vmb.__version__,
                  description=__doc__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.studio = studio
    app.add_middleware(BodyLimit, limit=config.max_upload_bytes)
    if config.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins),
                           allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "Content-Type"])

    @app.exception_handler(VmbError)
    async def vmb_error(_request, exc: VmbError):
        status = next((code for cls, code in STATUS_CODES.items() if isinstance(exc, cls)), 400)
        return error(status, one_line(exc), {"Retry-After": "5"} if status == 429 else None)

    @app.exception_handler(VocabError)
    async def vocab_error(_request, exc: VocabError):
        return error(400, one_line(exc))

    @app.exception_handler(HTTPException)
    async def http_error(_request, exc: HTTPException):
        return error(exc.status_code, one_line(exc.detail if isinstance(exc.detail, str) else exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error(422, f"{where}: {first.get('msg', 'invalid request')}")

    def job_for(job_id: str, request: Request) -> Job:
        token = token_of(request)
        if token is None:
            raise HTTPException(401, "this job needs its token: Authorization: Bearer TOKEN or ?token=TOKEN")
        return studio.jobs.get(job_id, token)

    # ------------------------------------------------------------------ the page and the docs

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    docs_assets = _swagger_assets()
    if docs_assets is not None:
        from fastapi.openapi.docs import get_swagger_ui_html

        app.mount("/docs-assets", StaticFiles(directory=docs_assets), name="docs-assets")

        @app.get("/docs", include_in_schema=False)
        async def docs() -> HTMLResponse:
            return get_swagger_ui_html(openapi_url="/openapi.json", title="vmb studio API",
                                       swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                       swagger_css_url="/docs-assets/swagger-ui.css",
                                       swagger_favicon_url="/docs-assets/favicon-32x32.png")

    # ------------------------------------------------------------------ the API

    @app.get("/api/vocab", summary="The genres, moods, instruments, tempi, meters, generators and limits")
    async def vocab():
        return api.vocabulary() | {"formats": list(FORMATS), "options": list(JOB_OPTIONS),
                                   "max_upload_bytes": config.max_upload_bytes}

    @app.post("/api/jobs", status_code=201, summary="Create a job: JSON for a text, a form with an image or video",
              openapi_extra={"requestBody": {"content": {
                  "application/json": {"schema": {"type": "object", "example": {
                      "text": "calm piano for a rainy night", "duration": 30, "seed": 0, "genre": ["jazz"]}}},
                  "multipart/form-data": {"schema": {"type": "object", "properties": {
                      "image": {"type": "string", "format": "binary"}, "video": {"type": "string", "format": "binary"},
                      "seed": {"type": "integer"}, "genre": {"type": "array", "items": {"type": "string"}}}}}}}})
    async def create_job(request: Request):
        job = None
        try:
            if request.headers.get("content-type", "").startswith("multipart/form-data"):
                raw, files = await form_options(request)
                uploads = [(k, f) for k, f in files if k in UPLOAD_FIELDS]
                if len(uploads) != 1 or len(files) != 1 or "text" in raw:
                    raise VmbError("a form needs exactly one file, as field 'image' or 'video' (a text job is JSON)")
                options, fmt = studio.parse_options(raw)
                kind, upload = uploads[0]
                job = studio.jobs.new_job(kind, options | {"format": fmt})
                saved = await save_upload(upload, job.folder, config.max_upload_bytes)
                path = await run_in_threadpool(checked_image if kind == "image" else checked_video, saved)
            else:
                options, fmt = studio.parse_options(await json_body(request))
                if "text" not in options:
                    raise VmbError("a JSON job needs a text; send an image or a video as a multipart form")
                job, kind, path = studio.jobs.new_job("text", options | {"format": fmt}), "text", None
            studio.submit(kind, options, fmt, path, job)
        except VmbError as exc:
            if job is None:
                raise
            studio.jobs.discard(job)
            exc.args = (job.hide_folder(str(exc)),)  # the message names no server folder
            raise
        except BaseException:
            if job is not None and job.id not in studio.jobs.jobs:
                studio.jobs.discard(job)
            raise
        return JSONResponse({"id": job.id, "token": job.token}, status_code=201,
                            headers={"Location": f"/api/jobs/{job.id}"})

    @app.get("/api/jobs/{job_id}", summary="A job's status, stage, progress, error and files")
    async def job_status(job_id: str, request: Request):
        return studio.status(job_for(job_id, request))

    @app.get("/api/jobs/{job_id}/events", summary="Server-sent events: the status each time it changes")
    async def job_events(job_id: str, request: Request):
        job = job_for(job_id, request)

        async def stream():
            seen = -1
            while not await request.is_disconnected():
                if job.version != seen:
                    seen = job.version
                    yield f"event: status\ndata: {json.dumps(studio.status(job))}\n\n"
                    if job.status in TERMINAL:
                        return
                await asyncio.sleep(0.2)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.get("/api/jobs/{job_id}/result", summary="The text bridge, the references and the plan of a finished job")
    async def job_result(job_id: str, request: Request):
        job = job_for(job_id, request)
        if job.status != "done":
            raise HTTPException(409, f"job {job.id} is {job.status}" + (f": {job.error}" if job.error else ""))
        return job.result

    @app.get("/api/jobs/{job_id}/files/{name}", summary="Download one of a job's files by its name")
    async def job_file(job_id: str, name: str, request: Request):
        job = job_for(job_id, request)
        if name not in job.files or not (job.folder / name).is_file():
            raise HTTPException(404, f"job {job.id} has no file {name!r}")
        return FileResponse(job.folder / name, filename=name)

    @app.post("/api/jobs/{job_id}/again", status_code=201, summary="The same job again with the next seed")
    async def job_again(job_id: str, request: Request):
        old = job_for(job_id, request)
        options = dict(old.options) | {"seed": _next_seed(old.options.get("seed", 0))}
        options, fmt = studio.parse_options(options)
        job = studio.jobs.new_job(old.kind, options | {"format": fmt})
        try:
            path = None
            if old.upload is not None:
                if not (old.folder / old.upload).is_file():
                    raise HTTPException(410, f"job {old.id}'s upload has been removed")
                path = job.folder / old.upload
                path.hardlink_to(old.folder / old.upload)
            studio.submit(old.kind, options, fmt, path, job)
        except BaseException:
            studio.jobs.discard(job)
            raise
        return JSONResponse({"id": job.id, "token": job.token}, status_code=201)

    @app.delete("/api/jobs/{job_id}", summary="Remove a finished job and its files")
    async def job_delete(job_id: str, request: Request):
        job = job_for(job_id, request)
        if job.status not in TERMINAL:
            raise HTTPException(409, f"job {job.id} is {job.status}; remove it when it has finished")
        studio.jobs.remove(job)
        return {"removed": job.id}

    @app.post("/api/describe", summary="Only the text bridge: JSON {text, seed} or a form with an image or video")
    async def describe(request: Request):
        if not studio.describing.acquire(blocking=False):
            raise QueueFull(f"{DESCRIBE_AT_ONCE} descriptions are running; try again later")
        try:
            return await _describe(request)
        finally:
            studio.describing.release()

    async def _describe(request: Request):
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            raw, files = await form_options(request)
            uploads = [(k, f) for k, f in files if k in UPLOAD_FIELDS]
            if len(uploads) != 1 or len(files) != 1:
                raise VmbError("a form needs exactly one file, as field 'image' or 'video'")
            kind, upload = uploads[0]
            job = studio.jobs.new_job(kind, {})  # a folder for the upload, removed when described
            try:
                saved = await save_upload(upload, job.folder, config.max_upload_bytes)
                path = await run_in_threadpool(checked_image if kind == "image" else checked_video, saved)
                seed = api.cli_arguments(seed=raw.get("seed", 0)).seed
                description = await run_in_threadpool(api.describe_music, **{kind: path}, seed=seed)
            except VmbError as exc:
                exc.args = (job.hide_folder(str(exc)),)  # the message names no server folder
                raise
            finally:
                studio.jobs.discard(job)
        else:
            body = await json_body(request)
            text = body.get("text")
            if not isinstance(text, str):
                raise VmbError("give a text, or send an image or a video as a multipart form")
            if len(text) > MAX_TEXT_CHARS:
                raise VmbError(f"the text is {len(text):,} characters long; the server takes up to {MAX_TEXT_CHARS:,}")
            seed = api.cli_arguments(seed=body.get("seed", 0)).seed
            description = await run_in_threadpool(api.describe_music, text, seed=seed)
        return description.to_dict()

    @app.get("/api/library/search", summary="Dual-track search of the music library (targeted and broad)")
    async def library_search(request: Request, text: str, k: int = 5, key: str | None = None,
                             tempo: str | None = None, meter: str | None = None):
        q = request.query_params
        return await run_in_threadpool(studio.library().search, text, k=k, genre=q.getlist("genre"),
                                       mood=q.getlist("mood"), instrument=q.getlist("instrument"),
                                       tempo=tempo, key=key, meter=meter)

    return app


def _next_seed(seed) -> int:
    return (api.cli_arguments(seed=seed).seed + 1) % (vmb.MAX_SEED + 1)


def _swagger_assets() -> Path | None:
    """Swagger UI's files from the swagger-ui-bundle package (the page at /docs loads nothing from
    the internet); None without it (the schema stays at /openapi.json)."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    return Path(swagger_ui_path)
