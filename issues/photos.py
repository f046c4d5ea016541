"""Residents' photos: checked by what they contain, then re-encoded before anything is stored.

A photo is judged by its bytes alone. The name and the declared content type are the sender's
words and are ignored: Pillow must recognise the content as JPEG, PNG or WebP (no other decoder
is even tried), ``verify()`` it, and decode it whole. What is stored is never the upload as it
came but the platform's own re-encoding, with the camera's orientation applied and every piece
of metadata dropped (EXIF with its GPS position, XMP, comments, colour profiles after the
conversion to sRGB) along with anything hidden after the image data.

Uploads are refused past ``ATTACHMENTS_MAX_BYTES`` before any decoding, past
``ATTACHMENTS_MAX_COUNT`` before any is read, and past ``MAX_PIXELS`` once the header gives the
dimensions (a "decompression bomb": a small file that decodes to gigabytes).
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .models import Attachment

logger = logging.getLogger(__name__)

FIELD = "photos"
# Pillow's names of the formats we accept, and the only decoders Image.open may try: no TIFF,
# no EPS (which would run Ghostscript), no SVG (never an image here, always a document).
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
# The stored photo's longest side: plenty to read a street sign, a fraction of a phone's 12 MP.
MAX_SIDE = 2560
JPEG_QUALITY = 85
# Refused before decoding: 50 MP covers phones' full-resolution modes (8160 × 6120); anything
# larger is a decompression bomb as far as residents' photos go. Pillow's own guard
# (Image.MAX_IMAGE_PIXELS, 89 MP) stays as it is and is handled below as a second line.
MAX_PIXELS = 50_000_000
# A name is shown back in error messages only; long ones are cut.
NAME_SHOWN_MAX = 60
# Names looked up at once when sweeping (well under SQLite's limit on query parameters).
SWEEP_BATCH = 500
# Pillow's errors for content it cannot decode (truncated, corrupt, lying headers).
DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    EOFError,
    MemoryError,
    Image.DecompressionBombError,
)


class Upload(Protocol):
    """What a photo is read from: Django's UploadedFile (or any named file object)."""

    name: str | None

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Photo:
    """A checked photo as it will be stored: re-encoded bytes and their facts."""

    content: bytes
    content_type: str
    width: int
    height: int
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def extension(self) -> str:
        return Attachment.EXTENSIONS[Attachment.Format(self.content_type)]


class PhotoRefused(Exception):
    """One upload is not a photo we store; the message is for the resident."""


def photos_prepare(uploads: Iterable[Upload]) -> list[Photo]:
    """The uploads, checked by content and re-encoded, in the order given.

    Raises ``ValidationError({"photos": [...]})`` with one message for each refused upload
    (naming its file), or a single one when there are too many; nothing is decoded then.
    """
    uploads = [upload for upload in uploads if upload is not None]
    photos_check_count(len(uploads))
    photos: list[Photo] = []
    errors: list[str] = []
    for upload in uploads:
        try:
            photos.append(photo_prepare(upload))
        except PhotoRefused as refusal:
            errors.append(str(refusal))
    if errors:
        raise ValidationError({FIELD: errors})
    return photos


def photos_check_count(count: int) -> None:
    """Raises ``ValidationError({"photos": [...]})`` past ``ATTACHMENTS_MAX_COUNT``."""
    limit = settings.ATTACHMENTS_MAX_COUNT
    if count > limit:
        message = ngettext(
            "Add at most %(limit)d photo.", "Add at most %(limit)d photos.", limit
        ) % {"limit": limit}
        raise ValidationError({FIELD: [message]})


def photo_prepare(upload: Upload) -> Photo:
    """One upload, checked and re-encoded; raises ``PhotoRefused`` saying why not."""
    name = _shown_name(upload)
    limit = settings.ATTACHMENTS_MAX_BYTES
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise PhotoRefused(_too_large(name, limit))
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)  # the declared size is the sender's word: count for ourselves
    if len(data) > limit:
        raise PhotoRefused(_too_large(name, limit))
    if not data:
        raise PhotoRefused(_("“%(name)s” is empty.") % {"name": name})
    image = _decode(data, name)
    return _encode(image)


def _shown_name(upload: Upload) -> str:
    name = Path(str(getattr(upload, "name", "") or "")).name or _("the photo")
    return name if len(name) <= NAME_SHOWN_MAX else name[: NAME_SHOWN_MAX - 1] + "…"


def _too_large(name: str, limit: int) -> str:
    return _("“%(name)s” is larger than %(limit)s.") % {
        "name": name,
        "limit": filesizeformat(limit),
    }


def _decode(data: bytes, name: str) -> Image.Image:
    """The first frame, decoded in full; ``PhotoRefused`` for anything else."""
    not_an_image = _("“%(name)s” is not a JPEG, PNG or WebP image.") % {"name": name}
    too_big = _("“%(name)s” has too many pixels (at most %(megapixels)d megapixels).") % {
        "name": name,
        "megapixels": MAX_PIXELS // 1_000_000,
    }
    with warnings.catch_warnings():
        # Pillow warns (rather than raises) between MAX_IMAGE_PIXELS and twice that.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # verify() checks the structure (PNG checksums, chunk order) but leaves the image
            # unusable, so it is opened again to be decoded.
            with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoRefused(too_big)
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            if image.format not in ALLOWED_FORMATS:  # pragma: no cover - formats= ensures it
                raise PhotoRefused(not_an_image)
            if image.width * image.height > MAX_PIXELS:  # pragma: no cover - checked above
                raise PhotoRefused(too_big)
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)  # an animation keeps its first frame
            if image.format == "JPEG":
                # Decode at a reduced scale (1/2, 1/4, 1/8) when that still covers MAX_SIDE:
                # less memory and time for a large photo, and no loss once it is resized.
                image.draft(image.mode, (MAX_SIDE, MAX_SIDE))
            image.load()
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
            raise PhotoRefused(too_big) from error
        except UnidentifiedImageError as error:
            raise PhotoRefused(not_an_image) from error
        except DECODE_ERRORS as error:
            raise PhotoRefused(
                _("“%(name)s” could not be read as an image: it may be damaged or incomplete.")
                % {"name": name}
            ) from error
    return image


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        alpha = image.convert("RGBA").getchannel("A")
        return alpha.getextrema()[0] < 255
    return False


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours as they were meant, before the colour profile is dropped with the metadata."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        target = ImageCms.createProfile("sRGB")
        output = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, target, outputMode=output) or image
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: keep the colours as they are


def _encode(image: Image.Image) -> Photo:
    """Oriented, converted, capped at MAX_SIDE, without metadata; PNG only for transparency."""
    try:
        oriented = ImageOps.exif_transpose(image)
    except DECODE_ERRORS:
        oriented = None  # a broken EXIF block: keep the pixels as they are
    if oriented is not None:
        image = oriented
    transparent = _has_transparency(image)
    image = _to_srgb(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale: scale to 8 bits rather than clipping everything above 255.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if transparent:
        image = image.convert("RGBA")
    elif image.mode != "L":
        image = image.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # Pixels only: a new image carries none of the original's info (EXIF, XMP, ICC, text).
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    buffer = io.BytesIO()
    if transparent:
        clean.save(buffer, format="PNG", optimize=False)
        content_type = Attachment.Format.PNG
    else:
        clean.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        content_type = Attachment.Format.JPEG
    content = buffer.getvalue()
    return Photo(
        content=content,
        content_type=str(content_type),
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def photos_sweep_orphans(*, older_than: timedelta = timedelta(hours=1)) -> list[str]:
    """Delete photo files no Attachment row refers to, written more than ``older_than`` ago.

    ``issues.services.issue_submit`` deletes the files of a filing that fails, but a filing
    inside a caller's transaction that the caller rolls back later, or a process killed
    between writing a file and committing, leaves files without rows, as does deleting a row
    (Django never deletes the file). ``sweep_photos`` and the hourly beat task run this. The
    age keeps the files of filings still in progress. Returns the names deleted.
    """
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    base = root / "issues"
    if not base.is_dir():
        return []
    cutoff = (timezone.now() - older_than).timestamp()
    candidates = [
        path for path in base.rglob("*") if path.is_file() and path.stat().st_mtime < cutoff
    ]
    names = {path.relative_to(root).as_posix(): path for path in candidates}
    listed = sorted(names)
    kept: set[str] = set()
    for start in range(0, len(listed), SWEEP_BATCH):
        batch = listed[start : start + SWEEP_BATCH]
        kept.update(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
    deleted = []
    for name, path in sorted(names.items()):
        if name in kept:
            continue
        path.unlink(missing_ok=True)
        deleted.append(name)
    if deleted:
        logger.info("deleted %d orphaned photo files", len(deleted))
    return deleted


def photo_response(attachment: Attachment) -> FileResponse:
    """The stored photo, for a view that has checked the user may see it.

    The type is the stored row's (the platform's own encoding), never guessed from the file;
    ``nosniff`` holds browsers to it. ``private, no-store``: the photo is personal data that no
    shared cache, and no browser cache on a shared computer, should keep.
    """
    storage = attachment.file.storage
    try:
        handle = storage.open(attachment.file.name, "rb")
    except FileNotFoundError as error:
        logger.error("photo %s has no file %s", attachment.pk, attachment.file.name)
        raise Http404("No such photo.") from error
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Content-Disposition"] = (
        f'inline; filename="photo-{attachment.pk}.{attachment.extension}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Only our own pages may embed it; opened directly, it can run nothing.
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
