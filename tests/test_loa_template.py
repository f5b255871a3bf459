import hashlib
import io
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet
from pypdf import PdfReader
from pypdf import PdfWriter
from pypdf.generic import NameObject
from pypdf.generic import TextStringObject

from assistant import loa
from assistant import loa_layout as layout
from assistant.loa_fonts import add_stream
from assistant.loa_fonts import pdf_object
from assistant.loa_template import build
from tests.test_loa_support import REQUEST
from tests.test_loa_support import SIGNER
from tests.test_loa_support import appearance_text
from tests.test_loa_support import fields_by_name
from tests.test_loa_support import national
from tests.test_loa_support import numbers
from tests.test_loa_support import pdf_text
from tests.test_loa_support import qpdf_check
from tests.test_loa_support import render
from tests.test_loa_support import words

DEFAULT_MAP = loa.DEFAULT_FIELD_MAP.read_text()
ROOT = Path(__file__).resolve().parents[1]

OPERATOR_MAP_TOML = """
number_field = "Phone{n}"

[fields]
name_on_bill = "loa.customer"
service_street = "loa.street"
service_city = "loa.city"
service_state = "loa.state"
service_zip = "loa.zip"
account_number = "loa.account"
pin = "loa.pin"
signature_name = "loa.signature"
signed_date = "loa.date"
partial_port = "Partial"
account_type = "Kind"
number_type = { mobile = "Mobile box", landline = "Landline box" }
"""

OPERATOR_MAP_YAML = yaml.safe_dump(tomllib.loads(OPERATOR_MAP_TOML))


def _state_appearances(writer: PdfWriter, on_state: str) -> dict:
    entries = {"/Type": "/XObject", "/Subtype": "/Form", "/BBox": [0, 0, 12, 12]}
    return {
        "/N": {
            on_state: add_stream(writer, b"0 g 2 2 8 8 re f", entries),
            "/Off": add_stream(writer, b"", entries),
        }
    }


def operator_template() -> bytes:
    """A template made elsewhere: nested names, Helvetica, odd on-states."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    annotations, fields = [], []

    def widget(rect, **entries):
        entries.update({"/Type": "/Annot", "/Subtype": "/Widget", "/Rect": rect})
        entries.setdefault("/F", 4)
        entries["/P"] = page.indirect_reference
        reference = writer._add_object(pdf_object(entries))
        annotations.append(reference)
        return reference

    parent = pdf_object({"/T": TextStringObject("loa"), "/FT": "/Tx"})
    parent_ref = writer._add_object(parent)
    kids = []
    texts = ["customer", "street", "city", "state", "zip", "account", "signature"]
    for row, name in enumerate([*texts, "date", "pin"]):
        entries = {
            "/T": TextStringObject(name),
            "/Parent": parent_ref,
            "/DA": TextStringObject("/Helv 0 Tf 0 0 1 rg"),
        }
        if name == "pin":
            entries.update({"/Ff": layout.COMB, "/MaxLen": 4})
        kids.append(widget([72, 700 - row * 30, 372, 720 - row * 30], **entries))
    parent[NameObject("/Kids")] = pdf_object(kids)
    fields.append(parent_ref)

    for position in (1, 2):
        fields.append(
            widget(
                [400, 700 - position * 30, 540, 720 - position * 30],
                **{"/T": TextStringObject(f"Phone{position}"), "/FT": "/Tx"},
            )
        )
    fields.append(
        widget(
            [400, 500, 540, 560],
            **{
                "/T": TextStringObject("notes"),
                "/FT": "/Tx",
                "/Ff": layout.MULTILINE,
                "/V": TextStringObject("Keep this note as it is"),
            },
        )
    )
    for name, on_state, y in (
        ("Partial", "/On", 400),
        ("Mobile box", "/1", 380),
        ("Landline box", "/Yes", 360),
    ):
        fields.append(
            widget(
                [72, y, 84, y + 12],
                **{
                    "/T": TextStringObject(name),
                    "/FT": "/Btn",
                    "/V": "/Off",
                    "/AS": "/Off",
                    "/AP": _state_appearances(writer, on_state),
                },
            )
        )
    kind = pdf_object(
        {"/T": TextStringObject("Kind"), "/FT": "/Btn", "/Ff": layout.RADIO}
    )
    kind_ref = writer._add_object(kind)
    kind[NameObject("/Kids")] = pdf_object(
        [
            widget(
                [72 + i * 40, 330, 84 + i * 40, 342],
                **{
                    "/Parent": kind_ref,
                    "/AS": "/Off",
                    "/AP": _state_appearances(writer, state),
                },
            )
            for i, state in enumerate(["/Business", "/Residential"])
        ]
    )
    fields.append(kind_ref)

    page[NameObject("/Annots")] = pdf_object(annotations)
    writer.root_object[NameObject("/AcroForm")] = pdf_object(
        {"/Fields": fields, "/NeedAppearances": True}
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def operator_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("operator")
    (folder / "loa.pdf").write_bytes(operator_template())
    (folder / "fields.toml").write_text(OPERATOR_MAP_TOML)
    (folder / "fields.yaml").write_text(OPERATOR_MAP_YAML)
    return folder


def test_built_in_template_rebuilds_byte_for_byte():
    assert build.build_template() == loa.DEFAULT_TEMPLATE.read_bytes()


def test_built_in_template_and_field_map_pass_the_start_up_check():
    loa.check_template()
    loa.check_template(loa.DEFAULT_TEMPLATE, loa.DEFAULT_FIELD_MAP)


def write_map(tmp_path, text: str, name: str = "fields.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        (
            'pin = "pin"',
            'pin = "PIN box"',
            "pin is mapped to 'PIN box', which the template lacks.",
        ),
        (
            'pin = "pin"',
            'colour = "pin"',
            "names 'colour', which is not a porting-request field.",
        ),
        ('signed_date = "signed_date"\n', "", "must map signed_date."),
        (
            'number_field = "number_{n}"',
            'number_field = "number"',
            "needs number_field",
        ),
        (
            'number_field = "number_{n}"',
            'number_field = "phone_{n}"',
            "no text field 'phone_1' for the first number",
        ),
        ("[fields]", "[fields", "can't be read"),
        (
            'account_type = "account_type"',
            'account_type = "remaining_numbers_action"',
            "'remaining_numbers_action' has no button for account_type 'business' "
            "(its states: /keep, /disconnect).",
        ),
        (
            'business_name = "business_name"',
            'business_name = "partial_port"',
            "business_name is text but 'partial_port' is a checkbox.",
        ),
        (
            'account_type = "account_type"',
            'account_type = "partial_port"',
            "map each value to its own checkbox",
        ),
        (
            'number_type = "number_type"',
            'number_type = { fax = "partial_port" }',
            "checkboxes for values other than mobile",
        ),
        (
            'signature_name = "signature_name"',
            "signature_name = 7",
            "maps 'signature_name' to something other than a field name.",
        ),
    ],
)
def test_a_field_map_that_does_not_fit_stops_start_up_with_a_clear_message(
    tmp_path, replace, by, message
):
    assert replace in DEFAULT_MAP
    field_map = write_map(tmp_path, DEFAULT_MAP.replace(replace, by))

    with pytest.raises(loa.TemplateError) as raised:
        loa.check_template(None, field_map)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist."),
        (b"this is not a PDF at all", "is not a readable PDF"),
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", "is not a readable PDF"),
        ("blank", "has no form fields."),
    ],
)
def test_a_missing_or_broken_template_stops_start_up_with_a_clear_message(
    tmp_path, content, message
):
    template = tmp_path / "loa.pdf"
    if content == "blank":
        writer = PdfWriter()
        writer.add_blank_page(612, 792)
        writer.write(template)
    elif content is not None:
        template.write_bytes(content)

    with pytest.raises(loa.TemplateError) as raised:
        loa.check_template(template, None)
    assert str(raised.value).startswith(f"The LOA template {template} ")
    assert message in str(raised.value)


def test_a_missing_field_map_file_is_named_in_the_message(tmp_path):
    with pytest.raises(loa.TemplateError, match="field map .*missing.toml does not"):
        loa.check_template(None, tmp_path / "missing.toml")


def test_a_template_changed_on_disk_is_checked_again(tmp_path):
    template = tmp_path / "loa.pdf"
    template.write_bytes(loa.DEFAULT_TEMPLATE.read_bytes())
    loa.check_template(template, None)

    template.write_bytes(b"garbage, and a different size")
    with pytest.raises(loa.TemplateError, match="not a readable PDF"):
        loa.check_template(template, None)


@pytest.mark.parametrize("map_name", ["fields.toml", "fields.yaml"])
def test_operator_template_fills_its_own_fields_and_on_states(operator_files, map_name):
    pdf = loa.fill_loa(
        REQUEST,
        numbers(5),
        template_path=operator_files / "loa.pdf",
        field_map_path=operator_files / map_name,
    )

    found = fields_by_name(pdf)
    for name, shown in [
        ("loa.customer", "Zoë Wójcik-Trần"),
        ("loa.zip", "94103"),
        ("loa.account", "8812-4471-09"),
        ("loa.pin", "7391"),
        ("Phone1", "(415) 555-0000"),
        ("Phone2", "(415) 555-0001"),
        ("Phone5", "(415) 555-0004"),
        ("notes", "Keep this note as it is"),
        ("loa.signature", ""),
    ]:
        field, widgets = found[name]
        assert field["/V"] == shown, name
        assert appearance_text(widgets[0]["/AP"]["/N"]) == shown, name
    for name, state in [
        ("Partial", "/On"),
        ("Kind", "/Business"),
        ("Landline box", "/Yes"),
        ("Mobile box", "/Off"),
    ]:
        field, widgets = found[name]
        assert field["/V"] == state, name
        assert [w["/AS"] for w in widgets if w["/AS"] != "/Off"] == (
            [] if state == "/Off" else [state]
        )
    assert "Phone6" not in found
    assert "/NeedAppearances" not in PdfReader(io.BytesIO(pdf)).root_object["/AcroForm"]
    assert "Page 2 of 2" in pdf_text(pdf, 2)


def test_operator_comb_and_colour_settings_shape_the_appearance(operator_files):
    pdf = loa.fill_loa(
        REQUEST,
        [],
        template_path=operator_files / "loa.pdf",
        field_map_path=operator_files / "fields.toml",
    )

    found = fields_by_name(pdf)
    pin = found["loa.pin"][1][0]["/AP"]["/N"].get_data().decode("ascii")
    assert len(re.findall(r" Tm ", pin)) == 4
    customer = found["loa.customer"][1][0]["/AP"]["/N"].get_data().decode("ascii")
    assert "0 0 1 rg" in customer


def test_operator_template_signs_into_flat_pages_with_its_checkboxes_drawn(
    operator_files, tmp_path
):
    pdf = loa.sign_loa(
        REQUEST,
        numbers(3),
        template_path=operator_files / "loa.pdf",
        field_map_path=operator_files / "fields.toml",
        **SIGNER,
    )

    reader = PdfReader(io.BytesIO(pdf))
    assert "/AcroForm" not in reader.root_object
    assert len(reader.pages) == 3
    text = words(pdf_text(pdf))
    for shown in ["Zoë Wójcik-Trần", "Şule Ăngheluță", "2026-05-09", *national(3)]:
        assert shown in text
    page = render(pdf, 1, dpi=72)

    def darkest(x, y):
        return page.crop((x + 2, 792 - y - 10, x + 10, 792 - y - 2)).getextrema()[0]

    assert darkest(72, 400) < 50
    assert darkest(72, 360) < 50
    assert darkest(72, 380) == 255
    assert darkest(72, 330) < 50
    assert darkest(112, 330) == 255
    qpdf_check(pdf, tmp_path)


def test_the_template_rebuilds_byte_for_byte_in_fresh_processes():
    script = (
        "import hashlib, sys\n"
        "from assistant.loa_template import build\n"
        "sys.stdout.write(hashlib.sha256(build.build_template()).hexdigest())\n"
    )
    digests = set()
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        digests.add(result.stdout)

    assert digests == {hashlib.sha256(loa.DEFAULT_TEMPLATE.read_bytes()).hexdigest()}


def checkbox_without_appearance() -> bytes:
    writer = PdfWriter(clone_from=loa.DEFAULT_TEMPLATE)
    for annotation in writer.pages[0]["/Annots"]:
        widget = annotation.get_object()
        if widget.get("/T") == "partial_port":
            del widget["/AP"]
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_checkbox_without_an_on_state_appearance_stops_start_up(tmp_path):
    template = tmp_path / "loa.pdf"
    template.write_bytes(checkbox_without_appearance())

    with pytest.raises(loa.TemplateError) as raised:
        loa.check_template(template, None)
    assert "'partial_port' has no on-state appearance." in str(raised.value)


def start_app(tmp_path, **environment) -> subprocess.CompletedProcess:
    """Start the app the way gunicorn does, by importing wsgi, in a new process."""
    env = {
        **os.environ,
        "ASSISTANT_INSTANCE_PATH": str(tmp_path / "instance"),
        "ASSISTANT_SECRET_KEY": "start-up-test",
        "ASSISTANT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ASSISTANT_DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", "import wsgi; print('started', wsgi.app.name)"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
    )


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"ASSISTANT_LOA_TEMPLATE": "{tmp}/absent.pdf"}, "does not exist."),
        ({"ASSISTANT_LOA_TEMPLATE": "{tmp}/corrupt.pdf"}, "is not a readable PDF"),
        (
            {"ASSISTANT_LOA_FIELD_MAP": "{tmp}/wrong.toml"},
            "pin is mapped to 'PIN box', which the template lacks.",
        ),
        ({"ASSISTANT_LOA_FIELD_MAP": "{tmp}/absent.toml"}, "does not exist."),
    ],
)
def test_an_operator_template_that_does_not_work_stops_the_app_from_starting(
    tmp_path, setting, message
):
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    (tmp_path / "wrong.toml").write_text(
        DEFAULT_MAP.replace('pin = "pin"', 'pin = "PIN box"')
    )
    environment = {k: v.format(tmp=tmp_path) for k, v in setting.items()}

    result = start_app(tmp_path, **environment)

    assert result.returncode != 0
    assert "started" not in result.stdout
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("assistant.loa.TemplateError: The LOA ")
    assert message in last_line


def test_an_operator_template_that_fits_lets_the_app_start(operator_files, tmp_path):
    result = start_app(
        tmp_path,
        ASSISTANT_LOA_TEMPLATE=str(operator_files / "loa.pdf"),
        ASSISTANT_LOA_FIELD_MAP=str(operator_files / "fields.yaml"),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started assistant"
