"""What an uploaded document file really is: checked by its content, never by its name."""

from __future__ import annotations

import hashlib
import io
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

import pypdfium2 as pdfium
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

MAX_FILE_SIZE = 10 * 1024 * 1024
MAX_FILES = 10
# A 600 dpi A4 scan is about 35 million pixels; a "small" file that claims far more is a bomb.
MAX_PIXELS = 50_000_000
PREVIEW_SIZE = 480

_PDF_MAGIC = b"%PDF-"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
# PDFium keeps global state and is not thread-safe; runserver and threaded workers share it.
_pdfium_lock = threading.Lock()


class FileRefused(Exception):
    """A file that is not stored, with the message shown next to the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class InspectedFile:
    kind: str  # "pdf", "png" or "jpeg"
    name: str  # a display name safe to put in a Content-Disposition header
    data: bytes
    sha256: str
    preview_png: bytes
    pages: int | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)


def unsafe_name(name: str) -> bool:
    """A name carrying a path or control characters is refused rather than quietly cleaned."""
    return (
        "/" in name
        or "\\" in name
        or name.strip() in {"", ".", ".."}
        or any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in name)
    )


def display_name(name: str, kind: str) -> str:
    """The merchant's file name, trimmed, with the extension its content deserves."""
    stem = PurePosixPath(name).stem.strip() or "document"
    extension = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg"}[kind]
    return stem[:100] + extension


def _sniff(data: bytes) -> str | None:
    if data.startswith(_PDF_MAGIC):
        return "pdf"
    if data.startswith(_PNG_MAGIC):
        return "png"
    if data.startswith(_JPEG_MAGIC):
        return "jpeg"
    return None


def _png(image: Image.Image) -> bytes:
    image.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE * 3 // 2))
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _inspect_pdf(data: bytes, name: str) -> tuple[bytes, int]:
    unreadable = _("«%(name)s» is damaged or is not a real PDF file.") % {"name": name}
    with _pdfium_lock:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise FileRefused(
                    _(
                        "«%(name)s» is protected by a password. Save it without protection "
                        "and upload it again."
                    )
                    % {"name": name}
                ) from exc
            raise FileRefused(unreadable) from exc
        try:
            # Owner-password files open without a password but still carry encryption:
            # reviewers must be able to read, print and keep every page, so they are refused too.
            if pdfium.raw.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1:
                raise FileRefused(
                    _("«%(name)s» is encrypted. Save it without protection and upload it again.")
                    % {"name": name}
                )
            pages = len(pdf)
            if pages == 0:
                raise FileRefused(unreadable)
            page = pdf[0]
            width, height = page.get_size()
            if width <= 0 or height <= 0:
                raise FileRefused(unreadable)
            scale = min(PREVIEW_SIZE / width, PREVIEW_SIZE * 3 / 2 / height)
            preview = page.render(scale=scale).to_pil()
        except pdfium.PdfiumError as exc:
            raise FileRefused(unreadable) from exc
        finally:
            pdf.close()
    return _png(preview), pages


def _inspect_image(data: bytes, name: str, kind: str) -> tuple[bytes, int, int]:
    unreadable = _("«%(name)s» is damaged or is not a real %(kind)s image.") % {
        "name": name,
        "kind": kind.upper(),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            if image.format != kind.upper():
                raise FileRefused(unreadable)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise FileRefused(
                    _(
                        "«%(name)s» is %(width)d × %(height)d pixels; at most %(limit)d million "
                        "pixels are accepted. Scan it at a lower resolution."
                    )
                    % {
                        "name": name,
                        "width": width,
                        "height": height,
                        "limit": MAX_PIXELS // 1_000_000,
                    }
                )
            image.load()
            image = ImageOps.exif_transpose(image)
        except FileRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise FileRefused(
                _(
                    "«%(name)s» has more than %(limit)d million pixels. Scan it at a lower "
                    "resolution."
                )
                % {"name": name, "limit": MAX_PIXELS // 1_000_000}
            ) from exc
        except (OSError, ValueError, SyntaxError, Warning) as exc:
            raise FileRefused(unreadable) from exc
    return _png(image), width, height


def inspect_upload(upload) -> InspectedFile:
    """Read and check one uploaded file; FileRefused says why it cannot be kept."""
    name = upload.name or ""
    if unsafe_name(name):
        raise FileRefused(
            _(
                "The file name %(name)s contains a path or control characters. Rename the file "
                "and upload it again."
            )
            % {"name": repr(name)}
        )
    if upload.size == 0:
        raise FileRefused(_("«%(name)s» is empty.") % {"name": name})
    if upload.size > MAX_FILE_SIZE:
        raise FileRefused(
            _("«%(name)s» is %(size)s MB; a file can be at most %(limit)d MB.")
            % {
                "name": name,
                "size": f"{upload.size / 1024 / 1024:.1f}",
                "limit": MAX_FILE_SIZE // 1024 // 1024,
            }
        )
    upload.seek(0)
    data = upload.read(MAX_FILE_SIZE + 1)
    kind = _sniff(data)
    if kind is None:
        raise FileRefused(
            _(
                "«%(name)s» is not a PDF, JPEG or PNG file (its contents were checked, not its "
                "name)."
            )
            % {"name": name}
        )
    pages = width = height = None
    if kind == "pdf":
        preview, pages = _inspect_pdf(data, name)
    else:
        preview, width, height = _inspect_image(data, name, kind)
    return InspectedFile(
        kind=kind,
        name=display_name(name, kind),
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        preview_png=preview,
        pages=pages,
        width=width,
        height=height,
    )
