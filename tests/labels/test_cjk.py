"""Chinese on labels: an embedded CJK font in the PDFs (poppler shows the glyphs), and in ZPL either a
graphic field drawn with that font or a font stored on the printer. Labels print nothing that goes stale."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from PIL import Image

from labels.render import LabelSpec, a4_sheet_pdf, thermal_pdf, zpl
from tests.labels.decoding import page_text, zpl_formats

CHINESE = "北京数码科技有限公司 · 维修"


def _poppler(tool: str, pdf: bytes, tmp_path) -> str:
    exe = shutil.which(tool)
    if exe is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    path = tmp_path / "label.pdf"
    path.write_bytes(pdf)
    return subprocess.run([exe, str(path), "-"] if tool == "pdftotext" else [exe, str(path)],
                          check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("render", [lambda s: thermal_pdf(s), lambda s: a4_sheet_pdf(s)], ids=["thermal", "a4"])
def test_pdf_embeds_a_cjk_font_and_poppler_reads_the_chinese_back(app, tmp_path, render):
    with app.test_request_context():
        pdf = render([LabelSpec("RMA2611-0001", title="U盘 DT 32G", lines=[CHINESE], notice="维修会清除全部数据")])
    fonts = _poppler("pdffonts", pdf, tmp_path)
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line or "CJK" in line or "DepotCJK" in line]
    assert cjk, fonts
    columns = cjk[0].split()
    # name type encoding emb sub uni ...: embedded, as a subset (only the glyphs used)
    assert columns[-5:-2] == ["yes", "yes", "yes"], fonts
    assert "STSong" not in fonts
    text = _poppler("pdftotext", pdf, tmp_path)
    for piece in ("北京数码科技有限公司 · 维修", "U盘 DT 32G", "维修会清除全部数据", "RMA2611-0001"):
        assert piece in text


def _graphic_fields(fmt: str):
    """(x, y, image) of each ^GFA field: the 1-bit data decoded back to a picture (1 bits black)."""
    out = []
    for m in re.finditer(r"\^FO(\d+),(\d+)\^GFA,(\d+),(\d+),(\d+),([0-9A-F]+)\^FS", fmt):
        x, y, total, _same, row, data = m.groups()
        raw = bytes.fromhex(data)
        assert len(raw) == int(total) and int(total) % int(row) == 0
        width, height = int(row) * 8, int(total) // int(row)
        # ZPL: 1 = a black dot. PIL mode "1": 1 = white, so invert.
        img = Image.frombytes("1", (width, height), bytes(b ^ 0xFF for b in raw))
        out.append((int(x), int(y), img))
    return out


def test_zpl_graphic_mode_draws_the_chinese_where_the_text_goes(app):
    with app.test_request_context():
        text = zpl([LabelSpec("SN-1", title="U盘 DT 32G", lines=["Dealer: " + CHINESE, "plain ASCII line"])],
                   cjk_mode="graphic")
    (fmt,) = zpl_formats(text)
    fields = _graphic_fields(fmt)
    assert len(fields) == 2  # the title and the Chinese line; the ASCII line stays a font field
    assert "plain ASCII line" in fmt and "北京" not in fmt and "^A@" not in fmt
    label = Image.new("L", (480, 320), 255)  # 60 x 40 mm at 203 dpi
    for x, y, img in fields:
        dark = img.histogram()[0]
        assert 0.03 < dark / (img.width * img.height) < 0.6  # text, neither blank nor a black box
        label.paste(img.convert("L"), (x, y))
    for x, y, img in fields:  # the dark dots sit at the field's place on the label
        region = label.crop((x, y, x + img.width, y + img.height))
        assert region.getextrema()[0] == 0
    assert label.crop((0, 300, 480, 320)).getextrema() == (255, 255)  # nothing drawn elsewhere


def test_zpl_font_mode_uses_the_printers_font_with_utf8(app):
    with app.test_request_context():
        text = zpl([LabelSpec("SN-1", title="型号", lines=[CHINESE])], cjk_mode="font", cjk_font="E:SIMSUN.TTF")
    (fmt,) = zpl_formats(text)
    assert fmt.lstrip().startswith("^CI28")
    assert "^A@N," in fmt and ",E:SIMSUN.TTF^FH^FD" in fmt
    assert "^GFA" not in fmt
    raw = text.encode("utf-8")
    assert CHINESE.encode("utf-8") in raw and "型号".encode("utf-8") in raw


def test_unit_label_prints_what_stays_true_not_the_current_state(world, app, login):
    from core.extensions import db
    from repairs.models import RepairUnit

    c = login("clerk")
    before = page_text(c.get(f"/labels/unit/{world.serials[0]}").data)
    with app.app_context():
        unit = db.session.query(RepairUnit).filter_by(serial=world.serials[0]).one()
        unit.state = "at_factory"
        db.session.commit()
    after = page_text(c.get(f"/labels/unit/{world.serials[0]}").data)
    assert before == after  # the label stuck on the box a week ago still says what the new one says
    assert "State" not in after and "factory" not in after.lower()
    for fact in (world.serials[0], "SSD A400 240G", world.rma, "北京数码科技有限公司", "无法识别", "Received 20"):
        assert fact in after
