"""Reads uploaded documents, each inside its own process with time and memory limits.

Run as ``python -I assistant/doc_reader.py --serve FD`` by the web worker: this
process imports the PDF and image libraries once, then forks one reader for each
job whose socket arrives over the control socket FD, and answers with the
reader's process id. The reader reads a JSON header line (media type and limits)
then the file from its job socket, and writes back one JSON object:
``{"ok": true, "pages", "text", "data"}`` where ``data`` is the base64 of the file
to store, or ``{"ok": false, "reason"}``. A fork costs a few milliseconds where a
new interpreter costs a hundred; every reader still starts from the same clean
state, since this process never reads a document itself. The module imports
nothing from ``assistant``, so none of the web application is loaded here.
"""

import base64
import io
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import warnings

# Tesseract would otherwise start one OpenMP thread per core for every job.
OCR_THREADS = "1"
OCR_CONFIG = "--oem 1 --psm 6"
OCR_DPI = 200
# A page whose text layer has fewer letters and digits than this is a scan.
MIN_TEXT_CHARS = 20
# Time kept back from the deadline to finish writing the answer.
ANSWER_MARGIN_SECONDS = 0.75
IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
# Screenshots at 1x have letters too small for Tesseract; phone photos are
# larger than it needs.
OCR_MIN_WIDTH = 1200
OCR_MAX_SIDE = 3500


class Refused(Exception):
    """The file cannot be read; ``reason`` names why for the parent process."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def normalise_text(text: str) -> str:
    """Tidy extracted text: one space between words, no empty lines, and runs of
    single characters (text drawn glyph by glyph) joined into words."""
    lines = []
    for raw in unicodedata.normalize("NFKC", text).splitlines():
        tokens = raw.split()
        if tokens:
            lines.append(" ".join(_join_single_chars(tokens)))
    return "\n".join(lines)


def _join_single_chars(tokens: list[str]) -> list[str]:
    joined: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1:
            run.append(token)
            continue
        if len(run) >= 3:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if token:
            joined.append(token)
    return joined


def _alnum_count(text: str) -> int:
    return sum(char.isalnum() for char in text)


def _remaining(deadline: float) -> float:
    return deadline - ANSWER_MARGIN_SECONDS - time.monotonic()


def read_pdf(data: bytes, max_pages: int, max_pixels: int, deadline: float) -> dict:
    """Page count and text of a PDF; pages without a text layer go through OCR."""
    from pypdf import PasswordType
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    # A download cut short loses the end-of-file marker that every complete
    # revision of a PDF ends with.
    if b"%%EOF" not in data[-2048:]:
        raise Refused("damaged")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # E-mailed bills are often "protected" with an empty user password.
            if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise Refused("encrypted")
        page_count = len(reader.pages)
    except Refused:
        raise
    except MemoryError:
        raise
    except Exception as error:
        raise Refused("damaged") from error
    if page_count == 0:
        raise Refused("damaged")
    if page_count > max_pages:
        raise Refused("too_many_pages")

    texts = []
    for page in reader.pages:
        if _largest_image_pixels(page) > max_pixels:
            raise Refused("too_many_pixels")
        try:
            texts.append(normalise_text(page.extract_text()))
        except LimitReachedError as error:
            # A stream that inflates past pypdf's limit is a decompression bomb,
            # and rendering the page for OCR would inflate it again.
            raise Refused("too_dense") from error
        except MemoryError:
            raise
        except Exception:
            # One unreadable page still leaves the others and OCR of this one.
            texts.append("")
    with tempfile.TemporaryDirectory(prefix="doc-") as folder:
        source = os.path.join(folder, "in.pdf")
        with open(source, "wb") as file:
            file.write(data)
        for number, page in enumerate(reader.pages, start=1):
            if _alnum_count(texts[number - 1]) >= MIN_TEXT_CHARS:
                continue
            if _remaining(deadline) <= 0:
                break
            dpi = _render_dpi(page, max_pixels)
            image = render_page(source, number, dpi, folder, deadline)
            if image is not None:
                texts[number - 1] = ocr_image(image, deadline)
    return {"pages": page_count, "text": "\n".join(t for t in texts if t)}


def _largest_image_pixels(page, depth: int = 3) -> int:
    """The pixel count of the largest image a page draws, as its dictionary declares.

    A few bytes of compressed image can declare a canvas of gigapixels, which
    pdftoppm would decode in full; looked for inside nested forms too.
    """
    try:
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else {}
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else {}
        largest = 0
        for reference in xobjects.values():
            xobject = reference.get_object()
            subtype = xobject.get("/Subtype")
            if subtype == "/Image":
                pixels = int(xobject.get("/Width", 0)) * int(xobject.get("/Height", 0))
                largest = max(largest, pixels)
            elif subtype == "/Form" and depth > 0:
                largest = max(largest, _largest_image_pixels(xobject, depth - 1))
        return largest
    except (AttributeError, TypeError, ValueError, KeyError):
        return 0


def _render_dpi(page, max_pixels: int) -> int:
    # A page with a giant media box would otherwise render to gigabytes.
    try:
        width = float(page.mediabox.width) / 72
        height = float(page.mediabox.height) / 72
    except Exception:
        return OCR_DPI
    area = max(width * height, 1.0)
    return max(36, min(OCR_DPI, int((max_pixels / area) ** 0.5)))


def render_page(source: str, number: int, dpi: int, folder: str, deadline: float):
    """One PDF page as a greyscale image, rendered by poppler's pdftoppm."""
    from PIL import Image

    tool = shutil.which("pdftoppm")
    if tool is None:
        return None
    target = os.path.join(folder, f"page-{number}")
    command = [tool, "-gray", "-png", "-r", str(dpi), "-f", str(number)]
    command += ["-l", str(number), "-singlefile", source, target]
    try:
        subprocess.run(
            command, capture_output=True, check=True, timeout=_remaining(deadline)
        )
        image = Image.open(target + ".png")
        image.load()
    except (subprocess.SubprocessError, OSError, ValueError):
        return None
    return image


def read_image(data: bytes, media_type: str, max_pixels: int, deadline: float):
    """Decode an image, refuse bombs, strip its metadata and read it with OCR."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[IMAGE_FORMATS[media_type]])
            width, height = image.size
            if width * height > max_pixels:
                raise Refused("too_many_pixels")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Refused("too_many_pixels") from error
    except Refused:
        raise
    except MemoryError:
        raise
    except Exception as error:
        raise Refused("damaged") from error

    stored = strip_metadata(image, media_type)
    return {"pages": 1, "text": ocr_image(image, deadline), "data": stored}


def strip_metadata(image, media_type: str) -> bytes:
    """Re-encode an image without EXIF, GPS, XMP, comments or text chunks."""
    from PIL import ImageOps

    keep = {}
    if image.info.get("icc_profile"):
        keep["icc_profile"] = image.info["icc_profile"]
    if media_type == "image/png" and "transparency" in image.info:
        keep["transparency"] = image.info["transparency"]
    # Photos are stored upright because the orientation tag goes with the EXIF.
    upright = ImageOps.exif_transpose(image)
    upright.info = {}
    out = io.BytesIO()
    if media_type == "image/jpeg":
        if upright.mode not in ("L", "RGB", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=90, **keep)
    else:
        upright.save(out, "PNG", optimize=False, **keep)
    return out.getvalue()


def prepare_for_ocr(image):
    """Greyscale, dark text on light, at a size Tesseract reads well."""
    from PIL import Image
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        backdrop = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(backdrop, image)
    grey = image.convert("L")
    # Dark-mode screenshots: Tesseract reads dark ink on a light page best.
    histogram = grey.histogram()
    mean = sum(i * n for i, n in enumerate(histogram)) / max(sum(histogram), 1)
    if mean < 110:
        grey = ImageOps.invert(grey)
    width, height = grey.size
    if width < OCR_MIN_WIDTH:
        factor = min(2.0, OCR_MIN_WIDTH / width)
        grey = grey.resize((int(width * factor), int(height * factor)), Image.LANCZOS)
    elif max(width, height) > OCR_MAX_SIDE:
        grey.thumbnail((OCR_MAX_SIDE, OCR_MAX_SIDE), Image.LANCZOS)
    return grey


def ocr_image(image, deadline: float) -> str:
    """Text of an image by Tesseract, or an empty string when it cannot finish."""
    import pytesseract

    budget = _remaining(deadline)
    if budget <= 0:
        return ""
    try:
        text = pytesseract.image_to_string(
            prepare_for_ocr(image), config=OCR_CONFIG, timeout=budget
        )
    except (RuntimeError, OSError, pytesseract.TesseractError):
        # Tesseract missing, out of memory or out of time: the file is still
        # good, and the checks will say it could not be read.
        return ""
    return normalise_text(text)


def _limit_resources(memory_bytes: int, seconds: float) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    cpu = int(seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def answer_job(stream) -> dict:
    """Read the header and the file from ``stream`` and answer them, within limits."""
    started = time.monotonic()
    header = json.loads(stream.readline())
    deadline = started + header["seconds"]
    os.environ["OMP_THREAD_LIMIT"] = OCR_THREADS
    _limit_resources(header["memory_bytes"], header["seconds"])
    data = stream.read()

    media_type = header["media_type"]
    try:
        if media_type == "application/pdf":
            answer = read_pdf(
                data, header["max_pdf_pages"], header["max_image_pixels"], deadline
            )
            answer["data"] = None
        else:
            answer = read_image(data, media_type, header["max_image_pixels"], deadline)
            answer["data"] = base64.b64encode(answer["data"]).decode("ascii")
        answer["ok"] = True
    except Refused as refusal:
        answer = {"ok": False, "reason": refusal.reason}
    except (MemoryError, RecursionError):
        answer = {"ok": False, "reason": "too_complex"}
    return answer


def serve(control_fd: int) -> int:
    """Fork a reader for each job socket the control socket brings, until it closes."""
    import pypdf  # noqa: F401 - loaded once here, shared by every reader forked
    from PIL import Image  # noqa: F401

    control = socket.socket(fileno=control_fd)
    # Readers are never waited for here: the worker learns the outcome from the
    # job socket, and the kernel reaps them.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        try:
            _, fds, _, _ = socket.recv_fds(control, 16, 1)
        except OSError:
            return 0
        if not fds:
            return 0  # the web worker has gone
        pid = os.fork()
        if pid == 0:
            control.close()
            _read_one(fds[0])
        os.close(fds[0])
        try:
            control.sendall(pid.to_bytes(4, "big"))
        except OSError:
            return 0


def _read_one(job_fd: int) -> None:
    """In the forked reader: answer the one job, then exit without cleaning up."""
    status = 0
    try:
        # Its own group, so that the worker can stop it with the pdftoppm or
        # tesseract it started; and its children waited for as usual.
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        with socket.socket(fileno=job_fd) as job:
            answer = answer_job(job.makefile("rb"))
            job.sendall(json.dumps(answer).encode())
    except BaseException:  # noqa: BLE001 - the worker reads a missing answer as refusal
        status = 1
    os._exit(status)


if __name__ == "__main__":
    if sys.argv[1:2] != ["--serve"]:
        sys.exit("usage: doc_reader.py --serve CONTROL_FD")
    sys.exit(serve(int(sys.argv[2])))
