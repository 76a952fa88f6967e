"""Image bombs and oversized bodies: the header's dimensions are checked before any pixel is decoded, and a
multipart body is capped while it is read, files included."""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from accounts.views import bad_request
from core.upload_limits import RequestBodyCap, UploadTooLarge
from feedback.models import Attachment
from feedback.uploads import MAX_PIXELS, UploadRefused, check_upload
from tests.support.board import bug
from tests.support.clients import api_client_for, sign_in


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header and a tiny compressed body that claims ``width`` x ``height`` grey pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)  # a few rows; decoding would need them all
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("width", "height"), [(30000, 30000), (12000, 12000), (40000, 1001)])
def test_an_image_claiming_too_many_pixels_is_refused_before_decoding(width, height):
    data = png_claiming(width, height)
    assert len(data) < 200_000
    with pytest.raises(UploadRefused) as refused:
        check_upload(data)
    assert "megapixels" in str(refused.value)


def test_through_the_api_a_bomb_is_a_400_naming_the_limit_and_nothing_is_stored(board):
    report = bug(board)
    client = api_client_for(board.artist)
    for data in (png_claiming(30000, 30000), png_claiming(12000, 12000)):
        response = client.post(
            reverse("api-report-attachments", args=[report.pk]),
            {"file": SimpleUploadedFile("bomb.png", data, content_type="image/png")},
            format="multipart",
        )
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert f"{MAX_PIXELS // 1_000_000} megapixels" in error["message"] and error["fields"]
    assert not Attachment.objects.exists()


def test_on_the_page_a_bomb_is_refused_in_words(board, client):
    report = bug(board)
    sign_in(client, board.artist)
    response = client.post(
        reverse("report_attach", args=[report.pk]),
        {"file": SimpleUploadedFile("bomb.png", png_claiming(30000, 30000), content_type="image/png")},
        follow=True,
    )
    assert response.status_code == 200 and b"megapixels" in response.content
    assert not Attachment.objects.exists()


def test_a_body_over_the_cap_is_refused_before_it_is_read(board, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1024 * 1024
    report = bug(board)
    client = api_client_for(board.artist)
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024), content_type="image/png")
    response = client.post(reverse("api-report-attachments", args=[report.pk]), {"file": big}, format="multipart")
    assert response.status_code == 413
    assert "over 1 MB" in response.json()["error"]["message"]
    assert not Attachment.objects.exists()


def test_a_body_longer_than_it_said_is_stopped_at_the_cap(settings):
    """A chunked or lying body: counted as it arrives, stopped one chunk past the cap, never spooled on."""
    settings.UPLOAD_MAX_REQUEST_BYTES = 100_000
    handler = RequestBodyCap()
    assert handler.handle_raw_input(None, {}, 0, b"boundary") is None
    chunk = b"x" * 65536
    assert handler.receive_data_chunk(chunk, 0) == chunk
    with pytest.raises(UploadTooLarge):
        handler.receive_data_chunk(chunk, 65536)


def test_a_page_whose_body_was_cut_off_says_the_limit():
    """Before a view runs (the CSRF check reads the form), the refusal lands on the 400 handler."""
    request = RequestFactory().post("/reports/1/attach/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = bad_request(
        request, UploadTooLarge("The request body is over 21 MB; attachments are at most 20 MB each.")
    )
    assert response.status_code == 413 and b"over 21 MB" in response.content
