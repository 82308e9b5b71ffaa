"""``vmb serve``: the web studio and the REST API on this machine (localhost unless asked)."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from vmb import VmbError
from vmb.cli.options import positive_int, seconds

# Not under an "examples:" heading: tests/test_examples.py runs those, and a server never ends.
USAGE_SERVE = """the studio is at http://127.0.0.1:8000/ (the page), /docs (the API) and /openapi.json;
a job from a script:
  curl -s localhost:8000/api/jobs -H 'content-type: application/json' -d '{"text": "a calm piano", "duration": 10}'
  curl -s localhost:8000/api/jobs/ID -H 'authorization: Bearer TOKEN'
--host 0.0.0.0 makes it reachable from other machines (a warning; every job still needs its token; no TLS).
"""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from vmb.serve import ServeConfig, create_app
    except ImportError as exc:
        raise VmbError(f"vmb serve needs FastAPI and uvicorn ({exc.name} is missing): "
                       f"pip install -e '.[serve]' (install.sh does)") from None

    if not is_loopback(args.host):
        print(f"vmb: warning: serving on {args.host}: anyone who can reach this machine can submit jobs "
              f"(each job and its files still need the job's token; there is no TLS)", file=sys.stderr)
    config = ServeConfig(
        jobs_dir=Path(args.jobs_dir) if args.jobs_dir else None, workers=args.workers, queue_size=args.queue_size,
        max_upload_bytes=int(args.max_upload_mb * 1024**2), max_job_age_s=args.max_job_age,
        max_jobs_bytes=int(args.max_jobs_mb * 1024**2), cors_origins=tuple(args.cors_origin or ()),
        library=args.library, warm_up=not args.no_warm_up,
    )
    print(f"vmb studio on http://{args.host}:{args.port}/ (API docs at /docs)", file=sys.stderr)
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level=args.log_level)
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="the web studio and REST API (localhost by default)", epilog=USAGE_SERVE,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=positive_int, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=positive_int, default=1, help="jobs generated at once (default 1)")
    p.add_argument("--queue-size", type=positive_int, default=8,
                   help="jobs waiting beyond the running ones; more are refused with 429 (default 8)")
    p.add_argument("--max-upload-mb", type=seconds, default=200.0, metavar="MB",
                   help="largest upload (image or video); larger ones get 413 (default 200)")
    p.add_argument("--jobs-dir", metavar="DIR", help="folder for job files (default: a private temporary folder)")
    p.add_argument("--max-job-age", type=seconds, default=3600.0, metavar="SECONDS",
                   help="finished jobs and their files are removed after this long (default 3600)")
    p.add_argument("--max-jobs-mb", type=seconds, default=2048.0, metavar="MB",
                   help="size quota of the job folder; the oldest finished jobs go first (default 2048)")
    p.add_argument("--cors-origin", action="append", metavar="URL",
                   help="allow scripts on this origin to call the API (repeatable; default: no CORS)")
    p.add_argument("--library", metavar="DIR", help="music library folder (default: $VMB_LIBRARY or your data folder)")
    p.add_argument("--no-warm-up", action="store_true", help="do not load the models with a short job at start")
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=cmd_serve)
