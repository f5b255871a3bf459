"""Evidence documents: accept uploads safely, read them, check them against the intake.

``accept_upload`` recognises a file by its content, refuses what it cannot take
with a ``DocumentRejected`` that carries the HTTP status and a sentence for the
customer, and reads the rest in a child process limited in time and memory.
``check_document`` compares the text read with the porting request and returns
``Finding`` rows for the customer and the porting team. Nothing here touches
Flask or the database, and no document text or phone number is ever logged.
"""

import atexit
import base64
import hashlib
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from dataclasses import dataclass
from itertools import permutations
from pathlib import Path

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

logger = logging.getLogger(__name__)

_READER = Path(__file__).with_name("doc_reader.py")

ACCEPTED_TYPES = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
KINDS = ("bill", "google_voice_screenshot", "receipt", "portal_screenshot", "csr")
MAX_FILENAME_CHARS = 100


@dataclass(frozen=True)
class Limits:
    """What one upload may cost; the defaults suit a small shared server."""

    max_file_bytes: int = 10 * 2**20
    max_request_bytes: int = 25 * 2**20
    max_pdf_pages: int = 20
    max_image_pixels: int = 40_000_000
    parse_seconds: float = 15
    parse_memory_bytes: int = 512 * 2**20

    @classmethod
    def from_config(cls, config) -> "Limits":
        """The limits an operator set with the ASSISTANT_MAX_* settings."""
        return cls(
            max_file_bytes=config["MAX_FILE_BYTES"],
            max_request_bytes=config["MAX_REQUEST_DOCUMENT_BYTES"],
            max_pdf_pages=config["MAX_PDF_PAGES"],
            max_image_pixels=config["MAX_IMAGE_PIXELS"],
        )


DEFAULT_LIMITS = Limits()


class DocumentRejected(Exception):
    """An upload we will not store: ``code`` and ``status`` for the HTTP error,
    ``message`` for the customer, ``reason`` for logs and tests."""

    def __init__(self, code: str, status: int, message: str, reason: str):
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Accepted:
    """An upload ready to store, with the text read from it (never to be logged)."""

    data: bytes
    media_type: str
    filename: str
    size: int
    sha256: str
    pages: int
    text: str


@dataclass(frozen=True)
class Finding:
    """One cross-check: a ``message`` for the customer, a ``detail`` for staff."""

    code: str
    ok: bool
    message: str
    detail: str


def _size_words(size: int) -> str:
    if size >= 2**20:
        return f"{round(size / 2**20, 1):g} MB"
    if size >= 2**10:
        return f"{round(size / 2**10):g} KB"
    return f"{size} bytes"


_PHOTO_HINT = "or a photo or screenshot of the document."
_REJECTIONS = {
    "empty": (
        "bad_request",
        400,
        "That file is empty. Please choose the file again, or take a new photo "
        "or screenshot.",
    ),
    "unsupported_file": (
        "unsupported_file",
        415,
        "We can take PDF, PNG or JPEG files only. Please upload the document as a "
        "PDF, " + _PHOTO_HINT,
    ),
    "unsupported_image": (
        "unsupported_file",
        415,
        "We can't open pictures in this format yet. Please save it as a JPEG or "
        "PNG, or take a screenshot of it, and upload that.",
    ),
    "encrypted": (
        "unsupported_file",
        415,
        "This PDF is locked with a password, so we can't open it. Please upload a "
        "copy without a password (your provider's website usually has one), "
        + _PHOTO_HINT,
    ),
    "damaged": (
        "bad_request",
        400,
        "We couldn't open this file; it may be damaged or only partly downloaded. "
        "Please download it again and upload the new copy, " + _PHOTO_HINT,
    ),
    "too_many_pages": (
        "too_large",
        413,
        "This PDF has more than {max_pdf_pages} pages. Please upload just the pages "
        "that show your name, address and phone numbers.",
    ),
    "too_many_pixels": (
        "too_large",
        413,
        "This picture is too big for us to read. Please upload a smaller photo or "
        "a screenshot.",
    ),
    "too_complex": (
        "too_large",
        413,
        "This file took too long to read. Please upload a simpler copy, such as "
        "the PDF from your provider's website, " + _PHOTO_HINT,
    ),
    "too_dense": (
        "too_large",
        413,
        "This PDF holds far more data than a bill needs, so we can't read it. "
        "Please upload a simpler copy, such as the PDF from your provider's "
        "website, " + _PHOTO_HINT,
    ),
    "file_too_large": (
        "too_large",
        413,
        "This file is larger than {max_file}. Please upload a smaller copy; a PDF "
        "from your provider or a phone photo usually fits.",
    ),
    "request_too_large": (
        "too_large",
        413,
        "Together your files are larger than {max_request}. Please upload fewer "
        "or smaller files.",
    ),
}


def too_large_message(max_file_bytes: int) -> str:
    """The sentence for a file over the size limit, whichever layer refused it."""
    return _REJECTIONS["file_too_large"][2].format(max_file=_size_words(max_file_bytes))


def _reject(reason: str, limits: Limits) -> DocumentRejected:
    code, status, message = _REJECTIONS[reason]
    message = message.format(
        max_pdf_pages=limits.max_pdf_pages,
        max_file=_size_words(limits.max_file_bytes),
        max_request=_size_words(limits.max_request_bytes),
    )
    logger.info("document rejected: %s (%s)", reason, status)
    return DocumentRejected(code, status, message, reason)


def sniff(data: bytes) -> str | None:
    """The media type of a file judged by its first bytes, or None when unknown.

    PDF, PNG and JPEG are what we accept; HEIC, WebP, GIF and TIFF are recognised
    so that the customer can be told how to convert the photo.
    """
    head = data[:1024]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    # Readers accept a PDF header anywhere in the first kilobyte.
    if b"%PDF-" in head:
        return "application/pdf"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "image/heic"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    return None


def sanitise_filename(filename: str, media_type: str) -> str:
    """A file name safe to store and show: no folders, control characters or
    surprises, with the extension of the file's real type."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[/\\]", name)[-1]
    # Cc are control characters; Cf include the right-to-left override that
    # makes "bill\u202efdp.exe" look like "billexe.pdf".
    name = "".join(
        " " if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") else char
        for char in name
    )
    name = re.sub(r'[<>:"|?*;]', "_", name)
    name = " ".join(name.split()).lstrip(". ")

    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    wanted = ACCEPTED_TYPES[media_type]
    if extension.lower() in ("jpg", "jpeg") and wanted == ".jpg":
        wanted = "." + extension
    elif extension.lower() == wanted[1:]:
        wanted = "." + extension
    elif dot and not re.fullmatch(r"[A-Za-z0-9]{1,5}", extension):
        stem = name
    stem = stem.rstrip(". ")[:MAX_FILENAME_CHARS].rstrip(". ") or "document"
    return stem + wanted


def accept_upload(
    data: bytes,
    filename: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    already_stored_bytes: int = 0,
) -> Accepted:
    """Check, read and clean one upload, or raise ``DocumentRejected``.

    ``already_stored_bytes`` is what the same request stored before this file,
    so that the request limit covers every file in it.
    """
    if not data:
        raise _reject("empty", limits)
    if len(data) > limits.max_file_bytes:
        raise _reject("file_too_large", limits)
    if already_stored_bytes + len(data) > limits.max_request_bytes:
        raise _reject("request_too_large", limits)
    media_type = sniff(data)
    if media_type not in ACCEPTED_TYPES:
        image = media_type is not None and media_type.startswith("image/")
        raise _reject("unsupported_image" if image else "unsupported_file", limits)

    answer = _read_in_child(data, media_type, limits)
    if not answer.get("ok"):
        raise _reject(answer.get("reason", "damaged"), limits)

    stored = base64.b64decode(answer["data"]) if answer["data"] else data
    logger.info(
        "document accepted: %s, %d bytes, %d pages",
        media_type,
        len(stored),
        answer["pages"],
    )
    return Accepted(
        data=stored,
        media_type=media_type,
        filename=sanitise_filename(filename, media_type),
        size=len(stored),
        sha256=hashlib.sha256(stored).hexdigest(),
        pages=answer["pages"],
        text=answer["text"],
    )


def read_text(data: bytes, media_type: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """The text of a file accepted before, read again: empty when it can't be."""
    answer = _read_in_child(data, media_type, limits)
    return answer.get("text") or "" if answer.get("ok") else ""


def _read_in_child(data: bytes, media_type: str, limits: Limits) -> dict:
    """Have a fresh reader process read the file; stopped when it overstays."""
    header = {
        "media_type": media_type,
        "max_pdf_pages": limits.max_pdf_pages,
        "max_image_pixels": limits.max_image_pixels,
        "memory_bytes": limits.parse_memory_bytes,
        "seconds": limits.parse_seconds,
    }
    payload = json.dumps(header).encode() + b"\n" + data
    deadline = time.monotonic() + limits.parse_seconds
    job, pid = _READERS.start_job()
    try:
        with job:
            job.settimeout(limits.parse_seconds)
            job.sendall(payload)
            job.shutdown(socket.SHUT_WR)
            out = _read_to_end(job, deadline)
    except TimeoutError:
        _stop_reader(pid)
        logger.info("document reader stopped after %s s", limits.parse_seconds)
        return {"ok": False, "reason": "too_complex"}
    except OSError:
        # The reader died while the file was still being sent: out of memory,
        # or killed by its CPU limit.
        _stop_reader(pid)
        return {"ok": False, "reason": "too_complex"}
    if not out:
        # Out of memory outside the reader's own handlers, killed by the CPU
        # limit, or crashed: in each case the file asked for more than we give.
        logger.info("document reader ended without an answer")
        return {"ok": False, "reason": "too_complex"}
    try:
        return json.loads(out)
    except ValueError:
        return {"ok": False, "reason": "damaged"}


def _read_to_end(job: socket.socket, deadline: float) -> bytes:
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        job.settimeout(left)
        chunk = job.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _stop_reader(pid: int) -> None:
    # The whole group, so that a pdftoppm or tesseract it started dies too.
    for kill, target in ((os.killpg, pid), (os.kill, pid)):
        try:
            kill(target, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            continue


class ReaderServer:
    """This process's reader server: it forks one fresh reader for each upload.

    Started on the first upload, and again after it died or when this process is
    a fork of the one that started it (gunicorn's workers, for instance).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._owner = 0

    def start_job(self) -> tuple[socket.socket, int]:
        """A socket to send one job on, and the process id of its reader."""
        with self._lock:
            for attempt in (1, 2):
                if not self._running():
                    self._stop()
                    self._start()
                ours, theirs = socket.socketpair()
                try:
                    socket.send_fds(self._control, [b"j"], [theirs.fileno()])
                    pid = int.from_bytes(_receive(self._control, 4), "big")
                    return ours, pid
                except OSError:
                    ours.close()
                    self._stop()
                    if attempt == 2:
                        raise
                finally:
                    theirs.close()
        raise AssertionError("unreachable")

    def _running(self) -> bool:
        return (
            self._process is not None
            and self._owner == os.getpid()
            and self._process.poll() is None
        )

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        self._process = subprocess.Popen(
            [sys.executable, "-I", str(_READER), "--serve", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
        theirs.close()
        ours.settimeout(30)
        self._control = ours
        self._owner = os.getpid()

    def _stop(self) -> None:
        if self._control is not None:
            self._control.close()
        if self._process is not None and self._owner == os.getpid():
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait(timeout=10)
        self._process = self._control = None

    def close(self) -> None:
        """Let the server go: it ends once its control socket closes."""
        with self._lock:
            if self._control is not None:
                self._control.close()
            if self._process is not None and self._owner == os.getpid():
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(timeout=5)
            self._process = self._control = None


def _receive(connection: socket.socket, size: int) -> bytes:
    received = b""
    while len(received) < size:
        chunk = connection.recv(size - len(received))
        if not chunk:
            raise ConnectionError("the reader server closed its control socket")
        received += chunk
    return received


_READERS = ReaderServer()
atexit.register(_READERS.close)


# --- Cross-checks against the intake -------------------------------------------

_DOCUMENT_NAMES = {
    "bill": "bill",
    "csr": "Customer Service Record",
    "receipt": "receipt",
    "portal_screenshot": "screenshot",
    "google_voice_screenshot": "screenshot",
}
_CHECKS = {
    "bill": ("numbers", "name", "address"),
    "csr": ("numbers", "name", "address"),
    "receipt": ("numbers", "name"),
    "portal_screenshot": ("numbers",),
    "google_voice_screenshot": ("numbers", "email"),
}
# Fewer letters and digits than this, or fewer words, and we read nothing useful.
MIN_READABLE_CHARS = 15
MIN_READABLE_WORDS = 3
# Letters that may differ between a name and the document, per letter: one in
# ten, so OCR's slips pass while "Name Plumbing" stays apart from "Acme Plumbing".
FUZZY_EDITS_PER_LETTER = 0.1
# Windows scoring below this share too little with a phrase to hold it.
PREFILTER_SCORE = 70
# Shapes OCR confuses inside words; both sides are read the same way.
_OCR_LOOKALIKES = (("rn", "m"), ("vv", "w"))
# Letters OCR reads in place of digits, corrected only inside number-like words.
_OCR_DIGITS = str.maketrans("OoDQlIi|!SsBZz", "00001111155822")
_LEGAL_WORDS = {
    "co",
    "company",
    "corp",
    "corporation",
    "dba",
    "inc",
    "incorporated",
    "limited",
    "llc",
    "llp",
    "lp",
    "ltd",
    "pc",
    "plc",
    "pllc",
    "the",
}
_STREET_WORDS = {
    "avenue": "ave",
    "av": "ave",
    "boulevard": "blvd",
    "circle": "cir",
    "court": "ct",
    "drive": "dr",
    "east": "e",
    "expressway": "expy",
    "highway": "hwy",
    "lane": "ln",
    "north": "n",
    "northeast": "ne",
    "northwest": "nw",
    "parkway": "pkwy",
    "place": "pl",
    "road": "rd",
    "south": "s",
    "southeast": "se",
    "southwest": "sw",
    "square": "sq",
    "street": "st",
    "terrace": "ter",
    "west": "w",
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
}
_ORDINAL = re.compile(r"[0-9]+(?:st|nd|rd|th)", re.I)
_UNIT = re.compile(r",|#|\b(?:suite|ste|apt|apartment|unit|floor|fl|room|rm)\b", re.I)
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+\s?[@©]\s?[A-Za-z0-9-]+(?:\s?\.\s?[A-Za-z0-9-]+)+"
)


def check_document(kind: str, text: str, intake: dict) -> list[Finding]:
    """Compare what a document says with the porting request.

    Every check the kind calls for yields one ``Finding``; a check whose intake
    field is empty is left out. Text too thin to judge yields one ``unreadable``
    finding instead. ``number_list`` uploads are checked elsewhere, so none.
    """
    if kind == "number_list":
        return []
    if kind not in _CHECKS:
        raise ValueError(f"unknown document kind: {kind}")
    document = _DOCUMENT_NAMES[kind]
    if not _readable(text):
        return [_unreadable(document, text)]

    lines = [line for line in (text or "").splitlines() if line.strip()]
    findings = []
    for check in _CHECKS[kind]:
        finding = _CHECKERS[check](document, text, lines, intake)
        if finding is not None:
            findings.append(finding)
    return findings


def _readable(text: str) -> bool:
    text = text or ""
    words = re.findall(r"[^\W_]{3,}", text)
    return len(words) >= MIN_READABLE_WORDS and _alnum(text) >= MIN_READABLE_CHARS


def _alnum(text: str) -> int:
    return sum(char.isalnum() for char in text)


def _unreadable(document: str, text: str) -> Finding:
    return Finding(
        code="unreadable",
        ok=False,
        message=(
            f"We couldn't read this {document}. Please upload a sharper photo taken "
            "straight on in good light, or the PDF from your provider if you have one."
        ),
        detail=f"only {_alnum(text or '')} letters and digits could be read",
    )


def _compact(text: str) -> str:
    return "".join(char for char in text.casefold() if char.isalnum())


def _digit_fixed(text: str) -> str:
    """The text with O, l, S and friends read as digits inside number-like words."""
    words = []
    for word in re.split(r"(\s+)", text):
        letters_and_digits = [char for char in word if char.isalnum()]
        digits = sum(char.isdigit() for char in letters_and_digits)
        # An ordinal such as 42ND names a street; its letters are not digits.
        ordinal = _ORDINAL.fullmatch("".join(letters_and_digits))
        if digits and digits * 2 >= len(letters_and_digits) and not ordinal:
            word = word.translate(_OCR_DIGITS)
        words.append(word)
    return "".join(words)


def _digit_runs(text: str) -> list[str]:
    runs = re.finditer(r"\d(?:[\s().\-/]{0,3}\d)*", _digit_fixed(text))
    return [re.sub(r"\D", "", run.group()) for run in runs]


def _national_number(e164: str) -> str:
    digits = re.sub(r"\D", "", e164)
    # NANP numbers are printed without the country code more often than with it.
    if digits.startswith("1") and len(digits) == 11:
        return digits[1:]
    import phonenumbers

    try:
        return str(phonenumbers.parse(e164).national_number)
    except phonenumbers.NumberParseException:
        return digits


def _check_numbers(document: str, text: str, lines, intake: dict) -> Finding | None:
    numbers = [n for n in intake.get("numbers") or [] if n]
    if not numbers:
        return None
    runs = _digit_runs(text)
    missing = [n for n in numbers if not any(_national_number(n) in r for r in runs)]
    if not missing:
        count = "number" if len(numbers) == 1 else f"{len(numbers)} numbers"
        return Finding(
            code="numbers",
            ok=True,
            message=f"We found your {count} on this {document}.",
            detail=f"{len(numbers)} of {len(numbers)} numbers found",
        )
    endings = _join_words([n[-4:] for n in missing])
    which = "the number" if len(missing) == 1 else "the numbers"
    return Finding(
        code="numbers",
        ok=False,
        message=(
            f"We couldn't find {which} ending in {endings} on this {document}. "
            f"If it shows on another page or another {document}, please upload that "
            "too; otherwise you can go on anyway."
        ),
        detail=f"missing {len(missing)} of {len(numbers)} numbers: "
        + ", ".join(missing),
    )


def _join_words(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


def _windows(lines: list[str]) -> list[str]:
    """Pairs of neighbouring lines, so that a value wrapped onto the next line
    is found, and each line is seen twice rather than three times."""
    if len(lines) < 2:
        return lines
    return [f"{a} {b}" for a, b in zip(lines, lines[1:], strict=False)]


def _split_words(text: str) -> list[str]:
    """Words of a text, also where its spaces were lost: "SanFrancisco,CA94103"
    gives San, Francisco, CA and 94103."""
    words = []
    for run in re.findall(r"[^\W_]+", text):
        start = 0
        for i in range(1, len(run)):
            before, here, after = run[i - 1], run[i], run[i + 1 : i + 2]
            if (
                before.isdigit() != here.isdigit()
                or (before.islower() and here.isupper())
                or (before.isupper() and here.isupper() and after.islower())
            ):
                words.append(run[start:i])
                start = i
        words.append(run[start:])
    return words


def _lookalike(text: str) -> str:
    for shape, letter in _OCR_LOOKALIKES:
        text = text.replace(shape, letter)
    return text


def _phrase_found(words: list[str], windows: list[str]) -> bool:
    """Whether the words appear, in any order when few, within one window.

    The words are compared without spaces from the start of each word of the
    window, allowing a few letters to differ: that copes with words run
    together by glyph-by-glyph PDFs, with OCR slips, and never matches a name
    from the middle of another word.
    """
    if not words:
        return False
    orders = permutations(words) if len(words) <= 3 else [words]
    needles = {_lookalike("".join(order).casefold()) for order in orders}
    length = len(next(iter(needles)))
    allowed = round(length * FUZZY_EDITS_PER_LETTER)
    for window in windows:
        parts = [_lookalike(part.casefold()) for part in _split_words(window)]
        hay = "".join(parts)
        starts = []
        offset = 0
        for part in parts:
            starts.append(offset)
            offset += len(part)
        for needle in needles:
            # A cheap bound first: most windows share little with the needle.
            if fuzz.partial_ratio(needle, hay) < PREFILTER_SCORE:
                continue
            for start in starts:
                for size in range(length - allowed, length + allowed + 1):
                    piece = hay[start : start + size]
                    distance = Levenshtein.distance(needle, piece, score_cutoff=allowed)
                    if distance <= allowed:
                        return True
    return False


def _name_words(name: str) -> list[str]:
    words = re.findall(r"[^\W_]+", name.casefold().replace("&", " and "))
    return [word for word in words if word not in _LEGAL_WORDS]


def _check_name(document: str, text: str, lines, intake: dict) -> Finding | None:
    names = [
        (field, intake.get(field) or "")
        for field in ("name_on_bill", "business_name")
        if (intake.get(field) or "").strip()
    ]
    if not names:
        return None
    windows = _windows(lines)
    notes = []
    for field, name in names:
        found = _phrase_found(_name_words(name), windows)
        notes.append(f"{field} {'found' if found else 'not found'}")
        if found:
            return Finding(
                code="name",
                ok=True,
                message=f"The name on this {document} matches.",
                detail="; ".join(notes),
            )
    shown = names[0][1].strip()
    return Finding(
        code="name",
        ok=False,
        message=(
            f"We couldn't find the name “{shown}” on this {document}. The carrier "
            f"checks that the name matches the {document} exactly, so please check "
            f"the name you gave us or upload another {document}. You can also go "
            "on anyway."
        ),
        detail="; ".join(notes),
    )


def _street_parts(street: str) -> tuple[str, list[str]]:
    """The house number and the normalised street-name words of an address line."""
    street = _UNIT.split(street, maxsplit=1)[0]
    match = re.match(r"\s*(\d+[A-Za-z]?)\b\s*(.*)", street)
    number, rest = (match.group(1), match.group(2)) if match else ("", street)
    words = re.findall(r"[^\W_]+", rest.casefold())
    return number.casefold(), [_STREET_WORDS.get(word, word) for word in words]


def _house_number(number: str, words: list[str]) -> re.Pattern:
    """A pattern for the house number standing alone in a spaced window.

    123 Main St is not 1234 Main St nor 1 23 Main St. A numbered street is
    matched together with its number, spaced or not, so that 350 5th Ave is
    found even where a PDF runs it together as 3505thAve. Spaces between the
    number's own characters are allowed for PDFs that space every glyph.
    """
    spaced = r"\s?".join(re.escape(char) for char in number)
    if words and _ORDINAL.fullmatch(words[0]):
        after = rf"\s?{re.escape(words[0])}"
    else:
        after = r"(?![0-9])(?!\s[0-9])"
    return re.compile(rf"(?<![0-9])(?<![0-9]\s){spaced}{after}")


def _normalise_street_words(line: str) -> str:
    words = re.findall(r"[^\W_]+", line.casefold())
    return " ".join(_STREET_WORDS.get(word, word) for word in words)


def _check_address(document: str, text: str, lines, intake: dict) -> Finding | None:
    street = (intake.get("service_street") or "").strip()
    if not street:
        return None
    number, words = _street_parts(street)
    fixed_lines = [_normalise_street_words(_digit_fixed(line)) for line in lines]
    windows = _windows(fixed_lines)
    if number:
        alone = _house_number(number, words)
        windows = [w for w in windows if alone.search(w)]
    # Digits are never fuzzy: 10 W 42nd St is not 10 W 43rd St.
    numbered = words[1:] if number and words and _ORDINAL.fullmatch(words[0]) else words
    for digits in re.findall(r"[0-9]+", " ".join(numbered)):
        exact = re.compile(rf"(?<![0-9]){digits}(?![0-9])")
        windows = [w for w in windows if exact.search(w)]
    street_found = _phrase_found([number, *words], windows)

    zip_code = re.sub(r"\D", "", intake.get("service_zip") or "")[:5]
    zip_found = bool(zip_code) and bool(
        re.search(rf"(?<!\d){zip_code}(?!\d)", _digit_fixed(text))
    )
    city_words = _name_words(intake.get("service_city") or "")
    city_found = _phrase_found(city_words, _windows(lines))

    detail = (
        f"street {'found' if street_found else 'not found'}; "
        f"ZIP {'found' if zip_found else 'not found'}; "
        f"city {'found' if city_found else 'not found'}"
    )
    if street_found and (zip_found or city_found):
        return Finding(
            code="address",
            ok=True,
            message=f"The service address on this {document} matches.",
            detail=detail,
        )
    return Finding(
        code="address",
        ok=False,
        message=(
            f"We couldn't find your service address, {street}, on this {document}. "
            f"If the {document} goes to another address, that's fine and you can go "
            f"on; otherwise please upload a {document} that shows it."
        ),
        detail=detail,
    )


def _check_email(document: str, text: str, lines, intake: dict) -> Finding | None:
    shown = [_compact(found) for found in _EMAIL.findall(text)]
    contact = _compact(intake.get("contact_email") or "")
    contact_shown = bool(contact) and _phrase_found([contact], _windows(lines))
    if shown or contact_shown:
        same = "matches" if contact_shown else "differs from"
        return Finding(
            code="email",
            ok=True,
            message=f"We can see the account e-mail address on this {document}.",
            detail=f"an e-mail address is shown; it {same} the contact e-mail",
        )
    return Finding(
        code="email",
        ok=False,
        message=(
            f"We couldn't see an e-mail address on this {document}. Please take a "
            "new screenshot of the Google Voice settings page that shows your number "
            "and the e-mail address you sign in with, or go on anyway."
        ),
        detail="no e-mail address found",
    )


_CHECKERS = {
    "numbers": _check_numbers,
    "name": _check_name,
    "address": _check_address,
    "email": _check_email,
}
