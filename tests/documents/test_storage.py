"""Documents go through Django's storage API (`storages["private"]`), so object storage is a
setting: with another backend configured, uploads and downloads work and nothing touches the
disk. Stored names are random; the merchant's file name is kept for display only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage, InMemoryStorage, storages
from django.test import Client
from django.urls import reverse

from documents import services
from documents.models import DocumentFile

from .samples import passport_pdf, pdf_bytes, scan_png, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

STORED_NAME = re.compile(r"^documents/[0-9a-f]{2}/[0-9a-f]{32}\.(pdf|png|jpeg)$")


@pytest.fixture
def in_memory(settings):
    """The private storage switched to memory. Changing STORAGES through the settings fixture
    sends setting_changed, and Django's own receiver (django.test.signals.storages_changed)
    drops the storages handler's cached backends; the fixture's undo sends it again."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    storage = storages["private"]
    assert isinstance(storage, InMemoryStorage)
    return storage


def _files_on_disk(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _listing(storage, directory: str = "") -> list[str]:
    directories, files = storage.listdir(directory)
    names = [f"{directory}{name}" for name in files]
    for sub in directories:
        names += _listing(storage, f"{directory}{sub}/")
    return names


def test_upload_and_download_through_an_in_memory_storage(
    in_memory, settings, owner_client, merchant, reviewer
):
    data = pdf_bytes(pages=2)
    response = owner_client.post(
        reverse("documents:upload", args=["charter"]),
        {"files": [upload("charter.pdf", data, "application/pdf")]},
    )
    assert response.status_code == 302
    file = DocumentFile.objects.get()
    assert in_memory.exists(file.storage_name)
    assert in_memory.exists(file.preview_name)
    assert sorted(_listing(in_memory)) == sorted([file.storage_name, file.preview_name])
    assert _files_on_disk(settings) == []

    download = owner_client.get(reverse("documents:file", args=[file.public_id]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert download["Content-Disposition"].startswith("attachment")

    reviewer_client = Client()
    reviewer_client.force_login(reviewer)
    preview = reviewer_client.get(reverse("documents:preview", args=[file.public_id]))
    assert preview.status_code == 200
    assert b"".join(preview.streaming_content).startswith(b"\x89PNG")
    assert _files_on_disk(settings) == []


def test_a_file_missing_from_storage_is_404_not_500(
    in_memory, owner_client, merchant, charter, owner
):
    version = services.document_upload(
        merchant=merchant, document_type=charter, files=[passport_pdf()], by=owner
    )
    file = version.files.get()
    in_memory.delete(file.storage_name)
    assert owner_client.get(reverse("documents:file", args=[file.public_id])).status_code == 404


def test_the_storage_switches_back_when_the_setting_does(settings):
    assert isinstance(storages["private"], FileSystemStorage)
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    assert isinstance(storages["private"], InMemoryStorage)
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    assert isinstance(storages["private"], FileSystemStorage)


def test_the_default_storage_writes_under_media_root(settings, merchant, charter, owner):
    version = services.document_upload(
        merchant=merchant, document_type=charter, files=[passport_pdf()], by=owner
    )
    file = version.files.get()
    on_disk = {
        path.relative_to(settings.MEDIA_ROOT).as_posix() for path in _files_on_disk(settings)
    }
    assert on_disk == {file.storage_name, file.preview_name}


@pytest.mark.parametrize(
    "name", ["charter.pdf", "Устав ООО «Арарат».pdf", "scan 1 (final).PDF", "passport"]
)
def test_files_are_stored_under_random_names(in_memory, merchant, charter, owner, name):
    first = services.document_upload(
        merchant=merchant, document_type=charter, files=[passport_pdf(name)], by=owner
    )
    second = services.document_upload(
        merchant=merchant,
        document_type=charter,
        files=[passport_pdf(name), scan_png(name)],
        by=owner,
    )
    files = [*first.files.all(), *second.files.all()]
    stored = [f.storage_name for f in files] + [f.preview_name for f in files]
    assert len(set(stored)) == len(stored) == 6
    stem = name.rsplit(".", 1)[0]
    for storage_name in stored:
        assert STORED_NAME.match(storage_name), storage_name
        assert stem.lower() not in storage_name.lower()
    # The extension comes from the content, not from the merchant's name.
    assert [f.storage_name.rsplit(".", 1)[1] for f in second.files.order_by("position")] == [
        "pdf",
        "png",
    ]
    assert all(f.preview_name.endswith(".png") for f in files)
    # The name the merchant chose is kept for display and the download's file name.
    assert first.files.get().original_name.startswith(stem[:10])
