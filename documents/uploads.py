"""Multipart parsing that notices the file names Django would otherwise clean quietly.

Django strips path separators and control characters from uploaded file names before
a view sees them. A document upload should refuse such a name instead, so this handler
takes over parsing (the documented `handle_raw_input` hook), lets Django's parser do the
work, and records every name it had to change.
"""

from __future__ import annotations

import html

from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser

from .inspection import unsafe_name


class _RecordingParser(MultiPartParser):
    def __init__(self, *args, unsafe: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._unsafe = unsafe

    def sanitize_file_name(self, file_name):
        cleaned = super().sanitize_file_name(file_name)
        if file_name and unsafe_name(html.unescape(file_name)):
            self._unsafe.append(file_name)
        return cleaned


class UnsafeNameRecorder(FileUploadHandler):
    """Insert first in `request.upload_handlers`; read `unsafe_names` after parsing."""

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.unsafe_names: list[str] = []

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        others = [handler for handler in self.request.upload_handlers if handler is not self]
        parser = _RecordingParser(META, input_data, others, encoding, unsafe=self.unsafe_names)
        return parser.parse()

    def receive_data_chunk(self, raw_data, start):  # pragma: no cover - parsing is delegated
        return raw_data

    def file_complete(self, file_size):  # pragma: no cover - parsing is delegated
        return None
