"""``vmb serve``: the REST API and the web studio, a shell over :mod:`vmb.api`.

- ``app``: the FastAPI app (:func:`create_app`): jobs, server-sent progress, downloads, describe,
  library search, the vocabulary, the page;
- ``jobs``: the bounded job queue, its workers and the private job folder with its quotas;
- ``uploads``: the body-size limit and uploads checked by decoding them;
- ``static/``: the page (plain HTML, CSS and JavaScript, nothing from the internet).
"""

from vmb.serve.app import create_app
from vmb.serve.jobs import ServeConfig

__all__ = ["ServeConfig", "create_app"]
