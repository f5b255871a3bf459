import io
import math

import pytest
from pypdf import PdfReader

from assistant import loa
from tests.test_loa_support import REQUEST
from tests.test_loa_support import SHOWN
from tests.test_loa_support import appearance_text
from tests.test_loa_support import fields_by_name
from tests.test_loa_support import national
from tests.test_loa_support import numbers
from tests.test_loa_support import pdf_text
from tests.test_loa_support import qpdf_check
from tests.test_loa_support import render
from tests.test_loa_support import template_rect
from tests.test_loa_support import words


@pytest.fixture(scope="module")
def preview() -> bytes:
    return loa.fill_loa(REQUEST, numbers(5))


@pytest.fixture(scope="module")
def preview_fields(preview) -> dict:
    return fields_by_name(preview)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def test_every_widget_has_its_own_appearance_stream_drawing_its_value(
    preview_fields,
):
    streams = set()
    for name, (field, widgets) in preview_fields.items():
        for widget in widgets:
            normal = widget["/AP"].raw_get("/N")
            states = [normal] if field.get("/FT") == "/Tx" else normal.values()
            for stream in states:
                assert stream.idnum not in streams, name
                streams.add(stream.idnum)
            if field.get("/FT") == "/Tx":
                assert appearance_text(normal.get_object()) == field["/V"], name


@pytest.mark.parametrize(("field", "shown"), sorted(SHOWN.items()))
def test_preview_fields_hold_the_request_values_as_people_read_them(
    preview_fields, field, shown
):
    found, widgets = preview_fields[field]
    assert found["/V"] == shown
    assert appearance_text(widgets[0]["/AP"]["/N"]) == shown


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {},
            {
                "partial_port": "/Yes",
                "account_type": "/business",
                "remaining_numbers_action": "/keep",
            },
        ),
        (
            {"partial_port": False, "remaining_numbers_action": ""},
            {"partial_port": "/Off", "remaining_numbers_action": "/Off"},
        ),
        (
            {"account_type": "residential", "remaining_numbers_action": "disconnect"},
            {"account_type": "/residential", "remaining_numbers_action": "/disconnect"},
        ),
        ({"partial_port": "yes"}, {"partial_port": "/Yes"}),
        ({"partial_port": "no"}, {"partial_port": "/Off"}),
    ],
)
def test_buttons_are_set_with_the_on_state_their_widgets_define(changes, expected):
    pdf = loa.fill_loa({**REQUEST, **changes}, numbers(1))

    found = fields_by_name(pdf)
    for name, state in expected.items():
        field, widgets = found[name]
        assert field["/V"] == state
        shown = [widget["/AS"] for widget in widgets if widget["/AS"] != "/Off"]
        assert shown == ([] if state == "/Off" else [state])
        for widget in widgets:
            assert widget["/AS"] in widget["/AP"]["/N"]


@pytest.mark.parametrize("count", [1, 4, 5, 40])
def test_numbers_fill_number_fields_in_order_across_continuation_pages(count):
    pdf = loa.fill_loa(REQUEST, numbers(count))

    found = fields_by_name(pdf)
    pages = 1 + math.ceil(max(0, count - 4) / loa.NUMBERS_PER_CONTINUATION_PAGE)
    assert page_count(pdf) == pages
    for position, shown in enumerate(national(count), start=1):
        field, widgets = found[f"number_{position}"]
        assert field["/V"] == shown
        assert appearance_text(widgets[0]["/AP"]["/N"]) == shown
    for position in range(count + 1, 5):
        assert found[f"number_{position}"][0]["/V"] == ""
    assert f"number_{max(count, 4) + 1}" not in found
    assert found["page_label"][0]["/V"] == f"Page 1 of {pages}"


@pytest.mark.parametrize(
    ("count", "note"),
    [
        (0, ""),
        (1, "1 number in total."),
        (4, "4 numbers in total."),
        (5, "5 numbers in total: 1 to 4 here, 5 on page 2."),
        (94, "94 numbers in total: 1 to 4 here, 5 to 94 on page 2."),
        (95, "95 numbers in total: 1 to 4 here, 5 to 95 on pages 2 to 3."),
    ],
)
def test_first_page_says_how_many_numbers_and_where_the_rest_are(count, note):
    pdf = loa.fill_loa(REQUEST, numbers(count))

    assert fields_by_name(pdf)["numbers_note"][0]["/V"] == note


def test_continuation_pages_are_headed_with_the_account_and_page_k_of_n():
    pdf = loa.fill_loa(REQUEST, numbers(100))

    assert page_count(pdf) == 3
    for page, first, last in ((2, 5, 94), (3, 95, 100)):
        text = words(pdf_text(pdf, page))
        assert f"Page {page} of 3" in text
        assert "Account: 札幌 Noodle House LLC" in text
        assert f"Numbers to move, continued: {first} to {last} of 100" in text
        for shown in national(100)[first - 1 : last]:
            assert shown in text


def test_five_hundred_numbers_all_get_a_field_and_show_in_the_text():
    pdf = loa.fill_loa(REQUEST, numbers(500))

    found = fields_by_name(pdf)
    assert page_count(pdf) == 7
    assert found["number_500"][0]["/V"] == "(415) 555-0499"
    assert "number_501" not in found
    text = pdf_text(pdf)
    assert all(shown in text for shown in national(500))
    assert "Page 7 of 7" in text


def test_preview_passes_qpdf_check_and_poppler_reads_it_without_complaint(
    preview, tmp_path
):
    report = qpdf_check(preview, tmp_path)

    assert "No syntax or stream encoding errors found" in report
    assert "WARNING" not in report
    render(preview, 2)


def test_preview_text_extraction_finds_every_value(preview):
    text = pdf_text(preview)

    for shown in [*SHOWN.values(), *national(5)]:
        assert shown in text


def test_filled_fields_render_ink_and_empty_ones_stay_blank():
    pdf = loa.fill_loa({**REQUEST, "service_unit": ""}, numbers(2))
    page = render(pdf, 1, dpi=72)

    def darkest(name):
        x1, y1, x2, y2 = template_rect(name)
        box = (round(x1) + 2, round(792 - y2) + 2, round(x2) - 2, round(792 - y1) - 2)
        return page.crop(box).getextrema()[0]

    for name in ("business_name", "name_on_bill", "number_2", "account_number"):
        assert darkest(name) < 100, name
    for name in ("service_unit", "number_3", "signature_name", "signed_date"):
        assert darkest(name) == 255, name


def test_missing_request_values_print_empty_fields_with_appearances():
    pdf = loa.fill_loa({}, [])

    for name, (field, widgets) in fields_by_name(pdf).items():
        if field.get("/FT") == "/Tx" and name not in ("brand", "page_label"):
            assert field["/V"] == "", name
            assert appearance_text(widgets[0]["/AP"]["/N"]) == "", name


def test_a_long_name_shrinks_to_fit_its_field_instead_of_being_cut():
    long_name = (
        "Wójcik-Trần Family Noodle Restaurants and Catering of Northern California LLC"
    )
    pdf = loa.fill_loa({**REQUEST, "business_name": long_name}, [])

    field, widgets = fields_by_name(pdf)["business_name"]
    stream = widgets[0]["/AP"]["/N"]
    assert appearance_text(stream) == long_name
    size = float(stream.get_data().split(b" Tf")[0].split()[-1])
    assert 6 < size < 10
    assert long_name in words(pdf_text(pdf))


def test_fills_do_not_leak_into_each_other_through_the_cached_template():
    first = loa.fill_loa(REQUEST, numbers(6))
    second = loa.fill_loa({"name_on_bill": "Ada Lovelace"}, numbers(1))

    assert fields_by_name(first)["name_on_bill"][0]["/V"] == "Zoë Wójcik-Trần"
    found = fields_by_name(second)
    assert found["name_on_bill"][0]["/V"] == "Ada Lovelace"
    assert found["business_name"][0]["/V"] == ""
    assert found["partial_port"][0]["/V"] == "/Off"
    assert "number_5" not in found


def test_a_character_no_font_has_keeps_its_place_in_the_text_layer():
    pdf = loa.fill_loa({**REQUEST, "name_on_bill": "김민준 Kim"}, [])

    field, widgets = fields_by_name(pdf)["name_on_bill"]
    assert appearance_text(widgets[0]["/AP"]["/N"]) == "김민준 Kim"
    assert "김민준 Kim" in pdf_text(pdf)


def test_brand_and_values_are_cleaned_before_printing():
    request = {**REQUEST, "name_on_bill": "  Zoe\u0308 \n Wójcik\u200b-Trần "}
    pdf = loa.fill_loa(request, [], brand="Acme\tVoice")

    found = fields_by_name(pdf)
    assert found["name_on_bill"][0]["/V"] == "Zoë Wójcik-Trần"
    assert found["brand"][0]["/V"] == "Acme Voice"


def test_preview_form_does_not_ask_viewers_to_redraw_fields(preview):
    form = PdfReader(io.BytesIO(preview)).root_object["/AcroForm"]

    assert "/NeedAppearances" not in form
    assert "/Helv" in form["/DR"]["/Font"]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("4158672310", "(415) 867-2310"),
        ("+1 415.867.2310", "(415) 867-2310"),
        ("415-867-2310", "(415) 867-2310"),
        ("+14158672310", "(415) 867-2310"),
        ("ask the office", "ask the office"),
    ],
)
def test_phone_values_are_printed_as_people_read_them_however_typed(typed, shown):
    fields = fields_by_name(
        loa.fill_loa({**REQUEST, "btn": typed, "contact_phone": typed}, numbers(1))
    )

    assert fields["btn"][0]["/V"] == shown
    assert fields["contact_phone"][0]["/V"] == shown
