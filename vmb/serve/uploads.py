"""Uploads: a body-size limit for every request, and files checked by decoding them, not by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from vmb import VmbError
from vmb.pipeline import MAX_DURATION_S

MAX_IMAGE_PIXELS = 64_000_000  # larger images are refused before they are decoded (decompression bombs)
CHUNK = 1024 * 1024
# container names PyAV reports -> the extension the upload is saved with
VIDEO_EXTENSIONS = {"mov,mp4,m4a,3gp,3g2,mj2": ".mp4", "matroska,webm": ".mkv", "avi": ".avi", "mpegts": ".ts",
                    "mpeg": ".mpg", "gif": ".gif"}


class TooLarge(VmbError):
    """A request body over the configured limit (HTTP 413)."""


def too_large_message(limit: int) -> str:
    return f"the upload is larger than the server's limit of {limit / 1024**2:g} MB"


class BodyLimit:
    """ASGI middleware: a request whose body is over ``limit`` bytes gets a 413.

    A declared Content-Length over the limit is refused before anything is read; a body sent
    without one (chunked) is counted as it arrives and refused once it passes the limit.
    """

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await self._refuse(send)
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise TooLarge(too_large_message(self.limit))
            return message

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send) -> None:
        body = json.dumps({"error": too_large_message(self.limit)}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


async def save_upload(upload, folder: Path, limit: int) -> Path:
    """Copy a multipart file into ``folder`` as ``upload.bin`` (at most ``limit`` bytes)."""
    path = folder / "upload.bin"
    size = 0
    with open(path, "wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge(too_large_message(limit))
            out.write(chunk)
    if size == 0:
        raise VmbError("the uploaded file is empty")
    return path


def checked_image(path: Path) -> Path:
    """The upload decoded as an image (any format Pillow reads), renamed to its real format."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise VmbError(f"image is {width}x{height} pixels; the server takes up to "
                               f"{MAX_IMAGE_PIXELS / 1e6:g} megapixels")
            image.load()  # decodes every pixel: a truncated or corrupt file fails here
            suffix = "." + (image.format or "img").lower().replace("jpeg", "jpg")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise VmbError("the uploaded image could not be decoded as an image") from None
    return _renamed(path, "input" + suffix)


def checked_video(path: Path) -> Path:
    """The upload decoded as a video (a video stream whose first frame decodes)."""
    import av

    from vmb.video import probe_video

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VmbError("the uploaded video has no video stream")
            frame = next(container.decode(video=0), None)
            if frame is None:
                raise VmbError("the uploaded video has no frame that decodes")
            if container.format.name == "image2" or container.format.name.endswith("_pipe"):
                raise VmbError("the uploaded video is a still image; send it as an image")
            suffix = VIDEO_EXTENSIONS.get(container.format.name, ".video")
    except (av.FFmpegError, OSError, UnicodeDecodeError, StopIteration):
        raise VmbError("the uploaded video could not be decoded as a video") from None
    video = _renamed(path, "input" + suffix)
    probe_video(video, max_duration_s=MAX_DURATION_S)  # the pipeline's length limits, before a queue place
    return video


def _renamed(path: Path, name: str) -> Path:
    target = path.with_name(name)
    shutil.move(path, target)
    return target
