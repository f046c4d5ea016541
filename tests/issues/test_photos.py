"""Residents' photos: judged by content, re-encoded without metadata, stored privately, served
only through the views that check who asks; and the resident's consent to share the contact
with enterprise partners.

Every image here is a real file made with Pillow (or by hand, byte by byte, for the ones no
encoder would make), uploaded through the real form, API and service.
"""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from agencies.models import Agency
from coordination.dispatch.services.routing import issue_dispatch
from issues.models import Attachment, Issue
from issues.photos import MAX_PIXELS, MAX_SIDE, photos_prepare, photos_sweep_orphans
from issues.services import issue_submit
from issues.signals import issue_submitted
from tests.factories import AgencyFactory, CategoryFactory, UserFactory, member

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024
LATITUDE = (39.0, 54.0, 26.5)
CAMERA = "PhoneCo Model 7"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path) -> Path:
    """Photos go to this test's own directory, never into the checkout."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


# ---------------------------------------------------------------------------- images


def jpeg(
    size=(300, 200), colour=(200, 30, 30), *, orientation: int | None = None, gps=False
) -> bytes:
    """A JPEG as a phone writes it: EXIF with the camera, and optionally GPS and rotation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        position = exif.get_ifd(ExifTags.IFD.GPSInfo)
        position[ExifTags.GPS.GPSLatitudeRef] = "N"
        position[ExifTags.GPS.GPSLatitude] = LATITUDE
        position[ExifTags.GPS.GPSLongitudeRef] = "E"
        position[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 30.0)
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", exif=exif, quality=95)
    return buffer.getvalue()


def png(size=(64, 48), *, transparent=True) -> bytes:
    image = Image.new("RGBA", size, (0, 120, 255, 255))
    if transparent:
        image.putpixel((0, 0), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def webp(size=(80, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 160, 60)).save(buffer, "WEBP")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A real 1-bit PNG of ``width`` × ``height`` blank pixels: small on disk, huge decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed bits
    packer = zlib.compressobj(9)
    compressed = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", compressed)
        + _chunk(b"IEND", b"")
    )


def upload(content: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal(uploads) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        photos_prepare(uploads)
    assert set(caught.value.message_dict) == {"photos"}
    return caught.value.message_dict["photos"]


# ----------------------------------------------------------------- checking, re-encoding


def test_a_jpeg_with_gps_is_stored_without_any_exif(private_media):
    original = jpeg(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    issue = issue_submit(
        title="Broken bench",
        description="Split in two.",
        address="Park",
        photos=photos_prepare([upload(original)]),
    )

    attachment = issue.attachments.get()
    stored = Path(attachment.file.path).read_bytes()
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert "exif" not in image.info
    assert b"Exif\x00\x00" in original
    assert b"Exif\x00\x00" not in stored  # no EXIF block at all, so no GPS position
    assert CAMERA.encode() in original
    assert CAMERA.encode() not in stored
    assert attachment.content_type == "image/jpeg"
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    assert attachment.size == len(stored)
    assert (attachment.width, attachment.height) == (300, 200)


def test_the_cameras_orientation_is_applied_before_it_is_dropped():
    # Orientation 6: the sensor's 300 × 200 is shown turned a quarter clockwise (200 × 300).
    (photo,) = photos_prepare([upload(jpeg(orientation=6))])
    assert (photo.width, photo.height) == (200, 300)
    assert Image.open(io.BytesIO(photo.content)).size == (200, 300)


def test_a_png_named_jpg_is_taken_for_what_it_is():
    (photo,) = photos_prepare([upload(png(), name="holiday.jpg", content_type="image/jpeg")])
    stored = Image.open(io.BytesIO(photo.content))
    assert stored.format == "PNG"  # transparency kept, so PNG, whatever the name said
    assert photo.content_type == "image/png"
    assert stored.convert("RGBA").getpixel((0, 0))[3] == 0


def test_a_pngs_text_exif_and_colour_profile_are_not_kept():
    from PIL import ImageCms, PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "home address: 12 Qinghe Road")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    buffer = io.BytesIO()
    source = Image.open(io.BytesIO(png()))
    source.save(buffer, "PNG", pnginfo=text, exif=exif, icc_profile=profile)
    original = buffer.getvalue()
    assert b"Qinghe" in original and CAMERA.encode() in original

    (photo,) = photos_prepare([upload(original, "scan.png", "image/png")])
    stored = Image.open(io.BytesIO(photo.content))
    assert stored.format == "PNG"
    assert b"Qinghe" not in photo.content
    assert CAMERA.encode() not in photo.content
    assert not stored.info.get("icc_profile")
    assert not stored.getexif()


def test_a_png_without_transparency_and_a_webp_become_jpeg():
    opaque, still = photos_prepare(
        [upload(png(transparent=False), "a.png"), upload(webp(), "b.webp")]
    )
    assert opaque.content_type == still.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(opaque.content)).format == "JPEG"
    assert (still.width, still.height) == (80, 60)


def test_a_large_photo_is_scaled_down_to_the_longest_side():
    (photo,) = photos_prepare([upload(jpeg(size=(4000, 1000)))])
    assert (photo.width, photo.height) == (MAX_SIDE, MAX_SIDE // 4)


def test_a_text_file_named_photo_jpg_is_refused_naming_the_field():
    messages = refusal([upload(b"just some notes, honestly a photo", "photo.jpg")])
    assert messages == ["“photo.jpg” is not a JPEG, PNG or WebP image."]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.jpg", b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"),
        (
            "drawing.png",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
        ),
        # Polyglots: image magic bytes in front of a script.
        ("gifar.jpg", b"GIF89a/*\x00\x00*/=1;alert(document.domain)//"),
        ("half.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"),
        ("bitmap.jpg", b"BM" + b"\x00" * 64),  # a real format, but not one we take
    ],
)
def test_documents_and_polyglots_are_refused(name, content):
    (message,) = refusal([upload(content, name)])
    assert name in message


def test_a_script_hidden_after_the_image_is_not_stored():
    (photo,) = photos_prepare([upload(jpeg() + b"<script>alert(1)</script>")])
    assert b"<script>" not in photo.content


def test_more_than_three_photos_are_refused_before_any_is_read():
    messages = refusal([upload(jpeg(), f"p{n}.jpg") for n in range(3)] + [upload(b"junk")])
    assert messages == ["Add at most 3 photos."]  # not a word about the junk: nothing decoded


def test_a_photo_of_exactly_5_mib_is_taken_and_one_byte_more_is_refused():
    image = jpeg()
    exactly = image + b"\x00" * (5 * MiB - len(image))  # bytes after the image end are ignored
    assert len(photos_prepare([upload(exactly)])) == 1
    (message,) = refusal([upload(exactly + b"\x00", "big.jpg")])
    assert message.startswith("“big.jpg” is larger than 5")


def test_the_size_is_counted_not_taken_from_the_sender():
    class Lying(io.BytesIO):
        name = "small.jpg"
        size = 10  # says small; is not

    (message,) = refusal([Lying(jpeg() + b"\x00" * (5 * MiB))])
    assert "larger than" in message


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8000, 8000),  # over our 50 MP limit
        (10000, 10000),  # over Pillow's own limit too, where it only warns
        (20000, 20000),  # over twice Pillow's limit: it refuses
    ],
)
def test_a_decompression_bomb_is_refused(width, height):
    bomb = png_bomb(width, height)
    assert len(bomb) < 200_000 and width * height > MAX_PIXELS
    (message,) = refusal([upload(bomb, "bomb.png", "image/png")])
    assert message.startswith("“bomb.png” has too many pixels")


def test_a_truncated_image_is_refused():
    (message,) = refusal([upload(jpeg()[:400], "cut.jpg")])
    assert "could not be read" in message


def test_every_refused_photo_is_named():
    messages = refusal([upload(jpeg(), "fine.jpg"), upload(b"a", "a.jpg"), upload(b"b", "b.png")])
    assert [m.split("”")[0].lstrip("“") for m in messages] == ["a.jpg", "b.png"]


def test_the_service_takes_only_checked_photos():
    with pytest.raises(ValidationError) as caught:
        issue_submit(title="t", description="d", address="x", photos=[upload(jpeg())])
    assert "photos" in caught.value.message_dict
    assert not Issue.objects.exists()


# ----------------------------------------------------------------------------- storage


def test_files_live_under_the_private_root_and_nowhere_public(client, private_media):
    issue = issue_submit(
        title="t", description="d", address="x", photos=photos_prepare([upload(jpeg())])
    )
    attachment = issue.attachments.get()
    path = Path(attachment.file.path)
    assert path.is_relative_to(private_media)
    assert stored_files(private_media) == [path]
    assert not path.is_relative_to(Path(django_settings.STATIC_ROOT))
    assert "photo" not in attachment.file.name  # the resident's file name is not kept
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018 - no URL exists to link past the permission check
    name = attachment.file.name
    static = django_settings.STATIC_URL.strip("/")
    media = (django_settings.MEDIA_URL or "media").strip("/") or "media"
    for url in (f"/{static}/{name}", f"/{media}/{name}", f"/{name}", f"/private_media/{name}"):
        assert client.get(url).status_code == 404, url


def test_a_failed_filing_leaves_no_file_behind(private_media):
    def refuse(**kwargs):
        raise RuntimeError("routing is down")

    issue_submitted.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(RuntimeError):
            issue_submit(
                title="t",
                description="d",
                address="x",
                photos=photos_prepare([upload(jpeg()), upload(png(), "b.png")]),
            )
    finally:
        issue_submitted.disconnect(dispatch_uid="test-refuse")
    assert not Issue.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files(private_media) == []


def test_the_sweep_deletes_files_of_a_callers_rolled_back_transaction(private_media):
    kept = issue_submit(
        title="kept", description="d", address="x", photos=photos_prepare([upload(jpeg())])
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        issue_submit(
            title="lost", description="d", address="x", photos=photos_prepare([upload(jpeg())])
        )
        raise RuntimeError("the caller changes its mind")
    assert len(stored_files(private_media)) == 2  # the service cannot see a later rollback
    assert photos_sweep_orphans(older_than=timedelta(hours=1)) == []  # too recent to judge
    deleted = photos_sweep_orphans(older_than=timedelta(0))
    assert len(deleted) == 1
    assert stored_files(private_media) == [Path(kept.attachments.get().file.path)]


def test_the_sweep_command_deletes_files_whose_rows_are_gone(private_media):
    kept = issue_submit(
        title="kept", description="d", address="x", photos=photos_prepare([upload(jpeg())])
    )
    gone = issue_submit(
        title="gone", description="d", address="x", photos=photos_prepare([upload(png())])
    )
    gone_name = gone.attachments.get().file.name
    gone.attachments.all().delete()  # a row deleted leaves its file: Django never deletes one
    output = io.StringIO()
    call_command("sweep_photos", "--older-than-minutes", "0", stdout=output)
    assert f"deleted {gone_name}" in output.getvalue()
    assert "1 orphaned photo files deleted." in output.getvalue()
    assert stored_files(private_media) == [Path(kept.attachments.get().file.path)]


def test_beat_sweeps_orphaned_photos_hourly_through_the_task(private_media, settings):
    from django.conf import settings as live

    from issues.tasks import photos_sweep

    entry = next(e for e in live.CELERY_BEAT_SCHEDULE.values() if e["task"] == photos_sweep.name)
    assert entry["schedule"] == timedelta(hours=1)
    kept = issue_submit(
        title="kept", description="d", address="x", photos=photos_prepare([upload(jpeg())])
    )
    gone = issue_submit(
        title="gone", description="d", address="x", photos=photos_prepare([upload(png())])
    )
    gone.attachments.all().delete()
    settings.PHOTOS_SWEEP_AFTER = timedelta(0)

    assert photos_sweep.delay().get() == 1
    assert stored_files(private_media) == [Path(kept.attachments.get().file.path)]


# ---------------------------------------------------------------------------- serving


@pytest.fixture
def city():
    centre = AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)
    housing = AgencyFactory(code="housing")
    police = AgencyFactory(code="police")
    return {
        "centre": centre,
        "housing": housing,
        "category": CategoryFactory(code="noise"),
        "dispatcher": member(centre, username="dispatcher"),
        "lead": member(housing, username="staff_housing"),
        "other": member(police, username="staff_police"),
    }


def _filed(city, *contents: bytes, **fields) -> Issue:
    photos = photos_prepare([upload(c, f"p{n}.jpg") for n, c in enumerate(contents)])
    issue = issue_submit(
        title="Night-time noise",
        description="Drilling after midnight.",
        category=city["category"],
        address="1 Qinghe Road",
        contact_phone="13812345678",
        photos=photos,
        **fields,
    )
    return issue_dispatch(issue_id=issue.pk, lead=city["housing"], actor=city["dispatcher"])


def _assert_served(response, attachment: Attachment) -> None:
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == Path(attachment.file.path).read_bytes()
    assert response["Content-Type"] == attachment.content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "private, no-store"


def test_the_resident_sees_their_photo_by_their_link(client, city):
    issue = _filed(city, jpeg(), png())
    first, second = issue.attachments.order_by("position")
    for attachment in (first, second):
        url = reverse("issues:track_photo", args=[issue.access_token, attachment.pk])
        assert url == f"/track/{issue.access_token}/photos/{attachment.pk}/"
        _assert_served(client.get(url), attachment)
    assert second.content_type == "image/png"


@pytest.mark.parametrize("page", ["tracking", "case", "workbench"])
def test_a_page_asks_for_photos_only_when_the_issue_has_some(client, city, page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def path(issue: Issue) -> str:
        return {
            "tracking": f"/track/{issue.access_token}/",
            "case": f"/staff/issues/{issue.pk}/",
            "workbench": f"/dispatch/issues/{issue.pk}/",
        }[page]

    who = {"tracking": None, "case": city["lead"], "workbench": city["dispatcher"]}[page]
    if who:
        client.force_login(who)
    plain, with_photos = _filed(city), _filed(city, jpeg(), png())
    for issue in (plain, with_photos):
        client.get(path(issue))  # a first view writes its audit row
    pages, counts = [], []
    for issue in (plain, with_photos):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path(issue))
        assert response.status_code == 200
        pages.append(response.content.decode())
        counts.append(len(captured))

    assert 'data-testid="photos"' not in pages[0]
    # The resident's own link serves the tracking page's; the staff's view the others'.
    served_by = (
        f"/track/{with_photos.access_token}/"
        if page == "tracking"
        else f"/staff/issues/{with_photos.pk}/"
    )
    photo_urls = [
        f"{served_by}photos/{photo.pk}/" for photo in with_photos.attachments.order_by("position")
    ]
    assert len(photo_urls) == 2
    assert all(pages[1].count(url) == 2 for url in photo_urls)  # the link and the image
    assert counts[1] == counts[0] + 1


def test_another_issues_link_does_not_open_a_photo(client, city):
    issue = _filed(city, jpeg())
    other = _filed(city)
    photo = issue.attachments.get()
    assert client.get(f"/track/{other.access_token}/photos/{photo.pk}/").status_code == 404
    assert client.get(f"/track/{'x' * 43}/photos/{photo.pk}/").status_code == 404
    assert client.get(f"/track/{issue.access_token}/photos/{photo.pk + 1}/").status_code == 404


def test_the_lead_agencys_staff_see_the_photo(client, city):
    issue = _filed(city, jpeg())
    photo = issue.attachments.get()
    url = reverse("coordination:staff_photo", args=[issue.pk, photo.pk])
    assert url == f"/staff/issues/{issue.pk}/photos/{photo.pk}/"
    for user in ("lead", "dispatcher"):
        client.force_login(city[user])
        _assert_served(client.get(url), photo)


def test_another_agencys_staff_get_404_and_anonymous_users_the_login(client, city):
    issue = _filed(city, jpeg())
    photo = issue.attachments.get()
    url = f"/staff/issues/{issue.pk}/photos/{photo.pk}/"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(city["other"])
    assert client.get(url).status_code == 404


def test_a_photo_opens_only_under_its_own_issue(client, city):
    issue = _filed(city, jpeg())
    sibling = _filed(city, jpeg())  # the lead may see both issues
    client.force_login(city["lead"])
    photo = issue.attachments.get()
    assert client.get(f"/staff/issues/{sibling.pk}/photos/{photo.pk}/").status_code == 404
    assert client.get(f"/staff/issues/{issue.pk}/photos/{photo.pk}/").status_code == 200


def test_the_case_page_shows_thumbnails_linking_to_the_photos(client, city):
    issue = _filed(city, jpeg(), webp())
    client.force_login(city["lead"])
    html = client.get(f"/staff/issues/{issue.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for photo in issue.attachments.all():
        url = f"/staff/issues/{issue.pk}/photos/{photo.pk}/"
        assert f'<a href="{url}"><img src="{url}"' in html
    assert html.count('loading="lazy"') >= 2
    assert 'alt="Photo 1 sent by the resident"' in html


def test_the_api_lists_the_photos_with_the_staff_url(client, city):
    issue = _filed(city, jpeg(), png())
    client = APIClient()
    client.force_authenticate(city["lead"])
    body = client.get(f"/api/v1/issues/{issue.pk}/").json()
    first, second = issue.attachments.order_by("position")
    assert body["photos"] == [
        {
            "id": first.pk,
            "url": f"http://testserver/staff/issues/{issue.pk}/photos/{first.pk}/",
            "width": 300,
            "height": 200,
            "content_type": "image/jpeg",
        },
        {
            "id": second.pk,
            "url": f"http://testserver/staff/issues/{issue.pk}/photos/{second.pk}/",
            "width": 64,
            "height": 48,
            "content_type": "image/png",
        },
    ]
    browser = client
    browser.force_login(city["lead"])
    _assert_served(browser.get(body["photos"][0]["url"]), first)


# ------------------------------------------------------------------------ the report form


@pytest.fixture
def english_client(client):
    client.cookies["django_language"] = "en"
    return client


REPORT = {
    "title": "Street light broken",
    "description": "Dark for three nights.",
    "address": "12 Qinghe Road",
    "contact_phone": "13912345678",
}


def test_the_report_form_takes_photos(english_client):
    html = english_client.get("/report/").content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file" name="photos"' in html
    assert "multiple" in html
    assert 'accept="image/jpeg,image/png,image/webp"' in html
    assert "Up to 3 photos" in html

    response = english_client.post(
        "/report/",
        {**REPORT, "photos": [upload(jpeg(gps=True), "one.jpg"), upload(png(), "two.png")]},
    )
    assert response.status_code == 302
    issue = Issue.objects.get()
    assert response["Location"] == f"/report/submitted/{issue.access_token}/"
    first, second = issue.attachments.order_by("position")
    assert (first.content_type, second.content_type) == ("image/jpeg", "image/png")

    page = english_client.get(f"/track/{issue.access_token}/").content.decode()
    for photo in (first, second):
        url = f"/track/{issue.access_token}/photos/{photo.pk}/"
        assert f'<a href="{url}"><img src="{url}"' in page
        _assert_served(english_client.get(url), photo)
    assert 'alt="Photo 1 you sent with the report"' in page
    assert page.count('loading="lazy"') == 2


def test_a_bad_photo_re_renders_the_form_naming_the_field(english_client):
    response = english_client.post(
        "/report/", {**REPORT, "photos": [upload(b"<html></html>", "photo.jpg")]}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_photos"' in html  # the error summary points at the field
    assert "“photo.jpg” is not a JPEG, PNG or WebP image." in html
    assert 'value="Street light broken"' in html  # the rest is kept
    assert not Issue.objects.exists()


def test_photos_must_be_chosen_again_after_another_fields_error(english_client):
    response = english_client.post(
        "/report/", {**REPORT, "title": "", "photos": [upload(jpeg(), "one.jpg")]}
    )
    assert response.status_code == 400
    assert 'data-testid="photos-again"' in response.content.decode()
    assert not Issue.objects.exists()


def test_four_photos_on_the_form_are_refused(english_client):
    response = english_client.post(
        "/report/", {**REPORT, "photos": [upload(jpeg(), f"{n}.jpg") for n in range(4)]}
    )
    assert response.status_code == 400
    assert "Add at most 3 photos." in response.content.decode()
    assert not Issue.objects.exists()


def test_the_partner_consent_is_unchecked_by_default_and_stored_when_ticked(english_client):
    html = english_client.get("/report/").content.decode()
    box = html.split('name="share_contact_with_partners"')[1].split(">")[0]
    assert "checked" not in box
    assert "Let enterprise partners on my case (e.g. the utility company) see my contact" in html

    english_client.post("/report/", {**REPORT, "title": "kept"})
    english_client.post(
        "/report/", {**REPORT, "title": "shared", "share_contact_with_partners": "on"}
    )
    consent = dict(Issue.objects.values_list("title", "share_contact_with_partners"))
    assert consent == {"kept": False, "shared": True}


def test_an_anonymous_report_ignores_the_partner_consent(english_client):
    english_client.post(
        "/report/", {**REPORT, "anonymous": "on", "share_contact_with_partners": "on"}
    )
    issue = Issue.objects.get()
    assert issue.anonymous is True
    assert issue.share_contact_with_partners is False
    direct = issue_submit(
        title="t", description="d", address="x", anonymous=True, share_contact_with_partners=True
    )
    assert direct.share_contact_with_partners is False


# ----------------------------------------------------------------------------- the API


def test_the_api_files_an_issue_with_photos_in_multipart(city):
    client = APIClient()
    response = client.post(
        "/api/v1/issues/",
        {
            "title": "Overflowing bin",
            "description": "Since Monday.",
            "lat": "39.9",
            "lon": "116.4",
            "share_contact_with_partners": "true",
            "contact_phone": "13812345678",
            "photos": [upload(jpeg(gps=True), "a.jpg"), upload(webp(), "b.webp")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    issue = Issue.objects.get(pk=response.json()["id"])
    assert issue.share_contact_with_partners is True
    assert [a.content_type for a in issue.attachments.all()] == ["image/jpeg", "image/jpeg"]
    for attachment in issue.attachments.all():
        assert CAMERA.encode() not in Path(attachment.file.path).read_bytes()


def test_the_api_takes_the_consent_in_json_and_ignores_it_when_anonymous(city):
    client = APIClient()
    body = {"title": "t", "description": "d", "share_contact_with_partners": True}
    shared = client.post("/api/v1/issues/", body, format="json").json()
    anonymous = client.post("/api/v1/issues/", {**body, "anonymous": True}, format="json").json()
    plain = client.post("/api/v1/issues/", {"title": "t", "description": "d"}, format="json")
    assert Issue.objects.get(pk=shared["id"]).share_contact_with_partners is True
    assert Issue.objects.get(pk=anonymous["id"]).share_contact_with_partners is False
    assert Issue.objects.get(pk=plain.json()["id"]).share_contact_with_partners is False


@pytest.mark.parametrize(
    ("photos", "fragment"),
    [
        (lambda: [upload(b"not an image", "x.jpg")], "is not a JPEG, PNG or WebP image"),
        (lambda: [upload(jpeg(), f"{n}.jpg") for n in range(4)], "at most 3"),
        (lambda: [upload(png_bomb(8000, 8000), "bomb.png")], "too many pixels"),
    ],
    ids=["text", "four", "bomb"],
)
def test_the_api_refuses_bad_photos_naming_the_field(city, photos, fragment):
    response = APIClient().post(
        "/api/v1/issues/",
        {"title": "t", "description": "d", "photos": photos()},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["photos"]
    assert fragment in " ".join(body["photos"])
    assert not Issue.objects.exists()


def test_the_api_refuses_photos_in_json(city):
    response = APIClient().post(
        "/api/v1/issues/",
        {"title": "t", "description": "d", "photos": ["aGVsbG8="]},
        format="json",
    )
    assert response.status_code == 400
    assert "photos" in response.json()


def test_a_repeated_idempotency_key_files_the_photos_once(city, private_media):
    client = APIClient()
    key = str(uuid.uuid4())

    def send():
        return client.post(
            "/api/v1/issues/",
            {"title": "t", "description": "d", "photos": [upload(jpeg(), "a.jpg")]},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    first, second = send(), send()
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Attachment.objects.count() == 1
    assert len(stored_files(private_media)) == 1


def test_the_admin_lists_the_photos_read_only_through_the_checked_view(client, city):
    issue = _filed(city, jpeg())
    photo = issue.attachments.get()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:issues_issue_change", args=[issue.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/staff/issues/{issue.pk}/photos/{photo.pk}/"' in html
    assert photo.file.name not in html
