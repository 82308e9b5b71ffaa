"""The REST API (vmb.serve) through FastAPI's test client: every endpoint, the limits, bad inputs."""

from __future__ import annotations

import io
import json
import re
import threading
import time

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from PIL import Image

import vmb.api
from vmb.cli import main as cli_main
from vmb.serve import ServeConfig, create_app
from vmb.serve.jobs import JobQueue

UPLOAD_LIMIT = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    config = ServeConfig(jobs_dir=tmp_path_factory.mktemp("jobs"), warm_up=False, queue_size=4,
                         max_upload_bytes=UPLOAD_LIMIT)
    with TestClient(create_app(config)) as c:
        yield c


def wait_done(client, job: dict, timeout_s: float = 300.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(f"/api/jobs/{job['id']}", params={"token": job["token"]}).json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {job['id']} did not finish in {timeout_s} s")


def png_bytes(size=(64, 48)) -> bytes:
    rng = np.random.default_rng(0)
    out = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(out, format="PNG")
    return out.getvalue()


# ------------------------------------------------------------------ the page, the docs, the vocabulary


def test_page_and_its_assets_come_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/static/studio.js" in assets and "/static/studio.css" in assets
    assert not [a for a in assets if "//" in a]  # nothing from another host
    for asset in assets:
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200
    js = client.get("/static/studio.js").text
    assert "http://" not in js and "https://" not in js


def test_docs_and_schema_need_no_internet(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    schema = client.get("/openapi.json").json()
    assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/events", "/api/jobs/{job_id}/files/{name}",
            "/api/describe", "/api/library/search", "/api/vocab"} <= set(schema["paths"])


def test_vocabulary(client):
    vocab = client.get("/api/vocab").json()
    assert "jazz" in vocab["genres"] and "calm" in vocab["moods"] and "piano" in vocab["instruments"]
    assert vocab["meters"] and set(vocab["generators"]) == {"baseline", "ecmg"}
    assert vocab["formats"] == ["wav", "flac"] and "genre" in vocab["options"]
    assert vocab["duration_s"]["min"] == 3.0


# ------------------------------------------------------------------ a text job from start to end


def test_text_job_progress_files_result_again_and_delete(client):
    created = client.post("/api/jobs", json={"text": "a calm piano piece for a rainy night", "duration": 4,
                                             "seed": 5, "genre": ["jazz"], "stems": True, "format": "flac"})
    assert created.status_code == 201
    job = created.json()
    assert set(job) == {"id", "token"} and re.fullmatch(r"[0-9a-f]{32}", job["id"])

    events = []
    with client.stream("GET", f"/api/jobs/{job['id']}/events", params={"token": job["token"]}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert events[-1]["status"] == "done" and events[-1]["progress"] == 1.0
    stages = [e["stage"] for e in events if e["status"] == "running"]
    assert [s for s in stages if s in ("describe", "retrieve", "compose", "render", "write")] == \
        sorted(set(stages) & {"describe", "retrieve", "compose", "render", "write"}, key=stages.index)
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress)

    status = client.get(f"/api/jobs/{job['id']}", headers={"Authorization": f"Bearer {job['token']}"}).json()
    assert status["status"] == "done" and status["error"] is None and status["stage"] == "done"
    kinds = {f["kind"]: f for f in status["files"]}
    assert {"audio", "midi", "sidecar", "piano roll", "stem drums"} <= set(kinds)
    audio = client.get(kinds["audio"]["url"])
    assert audio.status_code == 200 and kinds["audio"]["name"] == "music.flac"
    samples, rate = sf.read(io.BytesIO(audio.content))
    assert samples.shape[0] == 4 * rate
    for f in status["files"]:
        download = client.get(f["url"])
        assert download.status_code == 200 and len(download.content) == f["bytes"]
    assert client.get(kinds["piano roll"]["url"]).content[:4] == b"\x89PNG"

    result = client.get(f"/api/jobs/{job['id']}/result", params={"token": job["token"]}).json()
    assert result["description"]["sentence"] and result["description"]["reasoning"]
    assert result["references"] and all("score" in r for r in result["references"])
    assert result["seed"] == 5 and result["duration_s"] == 4.0

    again = client.post(f"/api/jobs/{job['id']}/again", params={"token": job["token"]})
    assert again.status_code == 201 and again.json()["id"] != job["id"]
    second = wait_done(client, again.json())
    assert second["status"] == "done" and second["options"]["seed"] == 6
    assert {f["name"] for f in second["files"]} >= {"music.flac", "music.mid"}

    assert client.delete(f"/api/jobs/{job['id']}", params={"token": job["token"]}).status_code == 200
    assert client.get(f"/api/jobs/{job['id']}", params={"token": job["token"]}).status_code == 404


# ------------------------------------------------------------------ bad inputs: the CLI's one-line message


@pytest.mark.parametrize("body, cli_args", [
    ({"text": "a song", "tempo": 9000}, ["--tempo", "9000"]),
    ({"text": "a song", "genre": ["polka-step"]}, ["--genre", "polka-step"]),
    ({"text": "a song", "duration": 1}, ["--duration", "1"]),
])
def test_bad_job_options_answer_the_cli_message(client, body, cli_args, capsys, tmp_path):
    answer = client.post("/api/jobs", json=body)
    assert answer.status_code == 400
    assert cli_main(["generate", "--text", body["text"], "-o", str(tmp_path / "x.wav"), *cli_args]) == 1
    assert f"vmb: error: {answer.json()['error']}" == capsys.readouterr().err.strip()


def test_a_job_that_fails_while_running_carries_the_cli_message(client, capsys, tmp_path):
    job = client.post("/api/jobs", json={"text": "   ", "duration": 3})
    assert job.status_code == 201  # an empty text is found by the describer, as on the command line
    status = wait_done(client, job.json())
    assert status["status"] == "failed" and status["files"] == []
    assert cli_main(["generate", "--text", "   ", "--duration", "3", "-o", str(tmp_path / "x.wav")]) == 1
    assert capsys.readouterr().err.strip() == f"vmb: error: {status['error']}"
    result = client.get(f"/api/jobs/{job.json()['id']}/result", params={"token": job.json()["token"]})
    assert result.status_code == 409 and status["error"] in result.json()["error"]


@pytest.mark.parametrize("body, message", [
    ({"text": "a song", "seed": "one"}, "--seed: seed 'one' is not a whole number"),
    ({"text": "a song", "library": "/etc"}, "option 'library' is not taken by the server"),
    ({"text": "a song", "reference": ["/etc/passwd"]}, "option 'reference' is not taken"),
    ({"text": "a song", "format": "mp3"}, "format 'mp3': use one of wav, flac"),
    ({"duration": 4}, "a JSON job needs a text"),
    ({"text": "x" * 100_001}, "the server takes up to 100,000"),
])
def test_bad_job_bodies(client, body, message):
    answer = client.post("/api/jobs", json=body)
    assert answer.status_code == 400 and message in answer.json()["error"]


def test_a_body_that_is_not_json(client):
    answer = client.post("/api/jobs", content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 400 and answer.json() == {"error": "the request body is not valid JSON"}


# ------------------------------------------------------------------ tokens and ids


def test_a_job_needs_its_own_token(client):
    first = client.post("/api/jobs", json={"text": "a short march", "duration": 3}).json()
    other = client.post("/api/jobs", json={"text": "a short waltz", "duration": 3}).json()
    url = f"/api/jobs/{first['id']}"
    assert client.get(url).status_code == 401
    assert client.get(url, params={"token": "wrong"}).status_code == 404
    assert client.get(url, params={"token": other["token"]}).status_code == 404
    assert client.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get(url + "/events", params={"token": "wrong"}).status_code == 404
    assert client.get(url + "/files/music.wav", params={"token": "wrong"}).status_code == 404
    assert client.post(url + "/again", params={"token": "wrong"}).status_code == 404
    assert client.delete(url, params={"token": "wrong"}).status_code == 404
    assert client.get(url, params={"token": first["token"]}).status_code == 200
    for job in (first, other):
        assert wait_done(client, job)["status"] == "done"
    # the file exists, yet the wrong token still reaches nothing
    assert client.get(url + "/files/music.wav", params={"token": other["token"]}).status_code == 404
    assert client.get(url + "/files/music.wav", params={"token": first["token"]}).status_code == 200


@pytest.mark.parametrize("path", [
    "/api/jobs/..%2F..%2Fetc%2Fpasswd",
    "/api/jobs/%2Fetc%2Fpasswd",
    "/api/jobs/..",
    "/api/jobs/../../etc/passwd",
    "/api/jobs/%2e%2e/files/music.wav",
])
def test_a_path_in_an_id_is_no_job(client, path):
    answer = client.get(path, params={"token": "t"})
    assert answer.status_code == 404
    assert "error" in answer.json()


def test_a_path_as_a_file_name_is_no_file(client):
    job = client.post("/api/jobs", json={"text": "a lullaby", "duration": 3}).json()
    assert wait_done(client, job)["status"] == "done"
    base = f"/api/jobs/{job['id']}/files/"
    for name in ("..%2F..%2Fjobs.py", "%2Fetc%2Fpasswd", "%2e%2e", "input.png", "upload.bin", "../music.wav"):
        assert client.get(base + name, params={"token": job["token"]}).status_code == 404, name


# ------------------------------------------------------------------ uploads


def test_an_upload_over_the_limit_is_413(client):
    big = b"\0" * (UPLOAD_LIMIT + 1)
    answer = client.post("/api/jobs", files={"image": ("photo.png", big, "image/png")})
    assert answer.status_code == 413 and "limit of 2 MB" in answer.json()["error"]

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(3):
            yield b"\0" * (UPLOAD_LIMIT // 2)

    answer = client.post("/api/describe", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"})
    assert answer.status_code == 413


def test_uploads_are_checked_by_decoding_not_by_name(client):
    fake = client.post("/api/jobs", files={"image": ("photo.jpg", b"GIF89a but not really", "image/jpeg")})
    assert fake.status_code == 400 and "could not be decoded as an image" in fake.json()["error"]
    still = client.post("/api/jobs", files={"video": ("clip.mp4", png_bytes(), "video/mp4")}, data={"seed": "1"})
    assert still.status_code == 400
    assert still.json()["error"] == "the uploaded video is a still image; send it as an image"
    noise = np.random.default_rng(1).integers(0, 255, 50_000, dtype=np.uint8).tobytes()
    fake = client.post("/api/jobs", files={"video": ("clip.mp4", noise, "video/mp4")})
    assert fake.status_code == 400 and "decoded as a video" in fake.json()["error"]
    assert "/" not in fake.json()["error"]  # no server path in any message
    truncated = png_bytes()[:200]
    assert client.post("/api/jobs", files={"image": ("a.png", truncated, "image/png")}).status_code == 400
    two = client.post("/api/jobs", files={"image": ("a.png", png_bytes(), "image/png")}, data={"text": "and a text"})
    assert two.status_code == 400 and "exactly one file" in two.json()["error"]
    wrong_field = client.post("/api/jobs", files={"file": ("a.png", png_bytes(), "image/png")})
    assert wrong_field.status_code == 400


def test_image_job_from_a_file_with_any_name(client):
    job = client.post("/api/jobs", files={"image": ("notes.txt", png_bytes(), "text/plain")},
                      data={"duration": "4", "mood": ["calm", "dreamy"], "seed": "2"})
    assert job.status_code == 201, job.text
    status = wait_done(client, job.json())
    assert status["status"] == "done", status["error"]
    assert status["options"]["mood"] == ["calm", "dreamy"]
    assert {f["kind"] for f in status["files"]} >= {"audio", "midi", "sidecar", "piano roll"}
    result = client.get(f"/api/jobs/{job.json()['id']}/result", params={"token": job.json()["token"]}).json()
    assert result["description"]["source"] == "image"


def test_video_job_gives_the_scored_mp4_cue_sheet_and_beat_map(client, tmp_path):
    from tests.fixtures.video import make_video

    video = tmp_path / "clip.mp4"
    make_video(video, duration_s=4.0, size=(160, 120), cuts_s=(1.5, 2.8))
    job = client.post("/api/jobs", files={"video": ("clip.bin", video.read_bytes(), "application/octet-stream")},
                      data={"genre": "electronic"})
    assert job.status_code == 201, job.text
    status = wait_done(client, job.json())
    assert status["status"] == "done", status["error"]
    kinds = {f["kind"]: f for f in status["files"]}
    assert {"video", "audio", "midi", "cue sheet", "beat map", "piano roll"} <= set(kinds)
    assert kinds["video"]["name"] == "scored.mp4"
    cues = client.get(kinds["cue sheet"]["url"]).json()
    assert cues["cuts_s"] and cues["beats_s"]
    import av

    with av.open(io.BytesIO(client.get(kinds["video"]["url"]).content)) as scored:
        assert scored.streams.video and scored.streams.audio


def test_a_video_with_duration_is_the_cli_error(client, tmp_path):
    from tests.fixtures.video import make_video

    video = tmp_path / "clip.mp4"
    make_video(video, duration_s=2.0, size=(96, 64), cuts_s=(1.0,))
    answer = client.post("/api/jobs", files={"video": ("clip.mp4", video.read_bytes(), "video/mp4")},
                         data={"duration": "10"})
    assert answer.status_code == 400 and "takes the video's own length" in answer.json()["error"]


# ------------------------------------------------------------------ describe only, library search


def test_describe_only(client):
    text = client.post("/api/describe", json={"text": "a stormy night at sea", "seed": 1})
    assert text.status_code == 200 and text.json()["sentence"] and text.json()["reasoning"]
    image = client.post("/api/describe", files={"image": ("p.png", png_bytes(), "image/png")})
    assert image.status_code == 200 and image.json()["source"] == "image"
    assert client.post("/api/describe", json={"text": ""}).status_code == 400
    assert client.post("/api/describe", json={"seed": 1}).status_code == 400
    bad = client.post("/api/describe", files={"image": ("p.png", b"nothing", "image/png")})
    assert bad.status_code == 400 and "decoded" in bad.json()["error"]
    still = client.post("/api/describe", files={"video": ("v.mp4", png_bytes(), "video/mp4")})
    assert still.status_code == 400 and "/" not in still.json()["error"]


def test_library_search(client):
    found = client.get("/api/library/search", params={"text": "slow sad strings", "k": 3, "key": "D minor",
                                                      "genre": "classical"})
    assert found.status_code == 200
    assert 0 < len(found.json()["targeted"]) <= 3 and all("score" in r for r in found.json()["broad"])
    bad = client.get("/api/library/search", params={"text": "a tune", "genre": "polka-step"})
    assert bad.status_code == 400 and "unknown genre" in bad.json()["error"]
    missing = client.get("/api/library/search")
    assert missing.status_code == 422 and "text" in missing.json()["error"]


# ------------------------------------------------------------------ the queue, the quotas, CORS


def test_a_full_queue_answers_429_and_loses_nothing(tmp_path, monkeypatch):
    gate = threading.Event()
    real = vmb.api.generate_request

    def held(*args, **kwargs):  # the first job holds the worker until the queue has been filled
        gate.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(vmb.api, "generate_request", held)
    config = ServeConfig(jobs_dir=tmp_path / "jobs", warm_up=False, queue_size=1)
    with TestClient(create_app(config)) as c:
        first = c.post("/api/jobs", json={"text": "one", "duration": 3}).json()
        deadline = time.monotonic() + 30
        while c.get(f"/api/jobs/{first['id']}", params={"token": first["token"]}).json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        second = c.post("/api/jobs", json={"text": "two", "duration": 3})
        assert second.status_code == 201
        assert c.get(f"/api/jobs/{second.json()['id']}", params={"token": second.json()["token"]}).json()[
            "queue_position"] == 0
        third = c.post("/api/jobs", json={"text": "three", "duration": 3})
        assert third.status_code == 429 and third.headers["retry-after"] == "5"
        assert "queue is full" in third.json()["error"]
        assert len(list((tmp_path / "jobs").iterdir())) == 2  # the refused job left no folder
        gate.set()
        assert wait_done(c, first)["status"] == "done"
        assert wait_done(c, second.json())["status"] == "done"


def test_job_folder_quotas(tmp_path):
    queue = JobQueue(ServeConfig(jobs_dir=tmp_path / "jobs", max_job_age_s=100.0, max_jobs_bytes=1000, max_jobs=10))
    assert (tmp_path / "jobs").stat().st_mode & 0o077 == 0  # private to the server's user
    now = time.time()
    jobs = []
    for i, (age, size) in enumerate([(500, 10), (50, 600), (20, 600), (10, 100)]):
        job = queue.new_job("text", {})
        (job.folder / "music.wav").write_bytes(b"\0" * size)
        job.status, job.finished, job.size_bytes, job.created = "done", now - age, size, now - age - i
        queue.jobs[job.id] = job
        jobs.append(job)
    running = queue.new_job("text", {})
    running.status, running.size_bytes = "running", 900
    queue.jobs[running.id] = running
    queue.clean_up()
    # too old: the first; then over 1000 bytes: the oldest finished go until the rest fit (running stays)
    assert set(queue.jobs) == {running.id, jobs[3].id}
    assert not jobs[0].folder.exists() and not jobs[1].folder.exists() and jobs[3].folder.exists()


def test_the_default_job_folder_is_private_and_removed(tmp_path):
    queue = JobQueue(ServeConfig())
    root = queue.root
    assert root.is_dir() and root.stat().st_mode & 0o077 == 0
    queue.start()
    queue.stop()
    assert not root.exists()


def test_no_cors_unless_configured(client, tmp_path):
    headers = {"Origin": "http://elsewhere.test", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.get("/api/vocab", headers=headers).headers
    assert "access-control-allow-origin" not in client.options("/api/jobs", headers=headers).headers
    config = ServeConfig(jobs_dir=tmp_path / "jobs", warm_up=False, cors_origins=("http://elsewhere.test",))
    with TestClient(create_app(config)) as c:
        answer = c.options("/api/jobs", headers=headers)
        assert answer.headers["access-control-allow-origin"] == "http://elsewhere.test"
        assert "access-control-allow-origin" not in c.get("/api/vocab", headers={"Origin": "http://other.test"}).headers


# ------------------------------------------------------------------ the command


def test_vmb_serve_command(monkeypatch, capsys):
    import uvicorn

    from vmb.cli.serve import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(kw, app=app))
    assert cli_main(["serve", "--no-warm-up", "--port", "8123", "--queue-size", "3"]) == 0
    assert started["host"] == "127.0.0.1" and started["port"] == 8123
    assert started["app"].state.studio.config.queue_size == 3
    assert "warning" not in capsys.readouterr().err
    assert cli_main(["serve", "--no-warm-up", "--host", "0.0.0.0"]) == 0
    assert "vmb: warning: serving on 0.0.0.0" in capsys.readouterr().err
    assert cli_main(["serve", "--port", "0"]) == 2
