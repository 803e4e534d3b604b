"""How much a request may send, checked before anything reads the body.

Every route takes what a real form can hold (`MAX_CONTENT_LENGTH`, 256 KiB: the longest note,
20,000 characters, is about 180 KB percent-encoded); only the marking-sheet uploads take
`MAX_UPLOAD_LENGTH` (16 MiB). A body announced larger (Content-Length) is refused with 413 at
once, unread. A chunked body announces no length: it is read here, at most one byte past the
limit, and refused the same way when it goes past (werkzeug's own limit on such a stream would
cut the form short without a word).
"""

from __future__ import annotations

import io

from flask import Flask, abort, current_app, request

_CHUNK = 64 * 1024

# The routes that receive a marking sheet (the file, then its base64 copy on "apply").
UPLOAD_ENDPOINTS = frozenset({"sheets.upload", "sheets.apply"})


def _check_length() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS:
        upload = int(current_app.config["MAX_UPLOAD_LENGTH"])
        request.max_content_length = upload
        # The "apply" form sends the sheet back as one base64 field.
        request.max_form_memory_size = upload
    limit = request.max_content_length
    length = request.content_length
    if limit is None:
        return
    if length is not None:
        if length > limit:
            abort(413)
        return
    if "wsgi.input_terminated" in request.environ:
        _read_unannounced(limit)


def _read_unannounced(limit: int) -> None:
    """Read a body sent without a length (chunked) up to the limit, or refuse it (413); what
    was read is handed on as an ordinary body of known length."""
    environ = request.environ
    stream = environ["wsgi.input"]
    body = bytearray()
    while chunk := stream.read(min(_CHUNK, limit + 1 - len(body))):
        body += chunk
        if len(body) > limit:
            abort(413)
    environ["wsgi.input"] = io.BytesIO(bytes(body))
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)


def init_app(app: Flask) -> None:
    """Check every request's size first (before the session, CSRF or the form are read)."""
    app.before_request(_check_length)
