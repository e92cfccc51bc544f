"""The packing slip PDF: barcodes decode on every page, every line is listed, bad codes are refused."""
from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from labels.packing_slip import Slip, SlipLine, packing_slip_pdf
from tests.labels.decoding import decode_page, page_count, page_text


@pytest.fixture(autouse=True)
def _clean_state():
    """A Slip needs no app and no database: replaces the shared per-test cleanup."""
    yield


FACTS = [("Leg", "Factory → dealer"), ("Carrier", "顺丰速运"), ("Pieces", "2"), ("Weight", "3.50 kg")]
PARTY = ["北京数码科技有限公司 (D0001)", "王伟", "13800001234", "北京市海淀区中关村大街1号"]


def _slip(n_units=3, waybill="SF1234567890", number="SH2611-00001"):
    lines = [SlipLine("unit", f"Sn-{i:04d}-aB", "SSD A400 240G 固态硬盘", 1) for i in range(n_units)]
    lines.append(SlipLine("part", "CAP-10", "电容 X1", 25))
    return Slip(number, waybill, FACTS, PARTY, lines, note="易碎 fragile")


@pytest.mark.parametrize("dpi", [203, 300])
def test_shipment_and_waybill_barcodes_decode(dpi):
    pdf = packing_slip_pdf(_slip())
    assert page_count(pdf) == 1
    assert sorted(decode_page(pdf, 0, dpi)) == sorted(["SH2611-00001", "SF1234567890"])
    text = page_text(pdf)
    for piece in ("Sn-0000-aB", "Sn-0002-aB", "CAP-10", "电容 X1", "北京数码科技有限公司", "顺丰速运", "易碎",
                  "Total: 3 units, 25 parts in 4 lines", "page 1 of 1"):
        assert piece in text


def test_long_shipment_runs_over_pages_with_the_number_barcode_on_each():
    pdf = packing_slip_pdf(_slip(n_units=80))
    pages = page_count(pdf)
    assert pages == 3
    text = "".join(page_text(pdf, i) for i in range(pages))
    assert all(f"Sn-{i:04d}-aB" in text for i in range(80))
    assert "Total: 80 units" in page_text(pdf, pages - 1) and "Total" not in page_text(pdf, 0)
    assert decode_page(pdf, 1, 203) == ["SH2611-00001"]
    assert f"page 3 of {pages}" in page_text(pdf, 2)


def test_no_waybill_yet_and_no_lines():
    pdf = packing_slip_pdf(Slip("SH2611-00002", None, FACTS, [], []))
    assert decode_page(pdf, 0, 203) == ["SH2611-00002"]
    assert "This shipment has no lines." in page_text(pdf)


def test_a_long_waybill_gets_narrower_bars_and_still_decodes():
    waybill = "JD0123456789012345-ABCDEFG"
    pdf = packing_slip_pdf(_slip(waybill=waybill))
    assert sorted(decode_page(pdf, 0, 203)) == sorted(["SH2611-00001", waybill])


@pytest.mark.parametrize("waybill", ["顺丰123", "SF–123"])
def test_a_waybill_code128_cannot_carry_is_refused(waybill):
    with pytest.raises(ValidationFailed) as err:
        packing_slip_pdf(_slip(waybill=waybill))
    assert "Code 128" in err.value.message and err.value.errors["codes"]
