"""An uploaded file, as the marking sheet's and the answer sheet's upload pages send it.

A page sends the file as multipart (`file`), or, from the drop zone's script, as base64 text
(`data`) with its name (`filename`). Both come back as the same bytes and a name to show.
"""

from __future__ import annotations

import base64
import binascii

from flask import abort, request

__all__ = ["MAX_FILENAME_LENGTH", "uploaded_file"]

MAX_FILENAME_LENGTH = 255


def uploaded_file() -> tuple[bytes, str]:
    """The request's uploaded file and its name; 400 when there is none or it is malformed."""
    if "file" in request.files and request.files["file"].filename:
        upload = request.files["file"]
        return upload.read(), (upload.filename or "upload.xlsx")[:MAX_FILENAME_LENGTH]
    try:
        data = base64.b64decode(request.form.get("data", ""), validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    if not data:
        abort(400)
    # Only shown and kept in the audit trail: a file's name, not a page of text.
    return data, request.form.get("filename", "upload.xlsx")[:MAX_FILENAME_LENGTH]
