"""Dealer CSV import: every bad row reported by line, nothing imported unless asked, GBK files."""
import io

from sqlalchemy import select

from core.directory.models import Dealer

HEADER = "code,name,contact,phone,email,birthday,region,office\n"
GOOD_AND_BAD = (
    HEADER
    + "D001,北京数码商行,王伟,010-62345678,wang@example.com,1980-02-29,华北,BJ\n"   # line 2: good
    + "D002,,李娜,13800138000,li@example,1975-13-01,华北,XX\n"                      # line 3: 4 problems
    + "D003,天津电子,张敏,022-2345678,,1990/2/30,华北,BJ\n"                          # line 4: not a real date
    + "D004,石家庄科技,刘洋,0311-8888888,liu@example.com,,华北,BJ\n"                 # line 5: good
    + "D001,重复的代码,,,,,,\n"                                                      # line 6: duplicate code
)


def _codes(app):
    from core.extensions import db

    with app.app_context():
        return sorted(db.session.scalars(select(Dealer.code)))


def _upload(client, path, content: bytes, **form):
    data = {"file": (io.BytesIO(content), "dealers.csv"), **form}
    return client.post(path, data=data, content_type="multipart/form-data")


def test_page_import_with_bad_rows_reports_each_line_and_imports_nothing(app, login, make_office):
    make_office("BJ")
    c = login("service")
    page = c.get("/directory/dealers/import")
    assert page.status_code == 200 and "updates that dealer" in page.get_data(as_text=True)
    token = c.csrf_token("/directory/dealers/import")
    resp = _upload(c, "/directory/dealers/import", GOOD_AND_BAD.encode(), csrf_token=token)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    table = html[html.index('id="bad-rows"'):]
    for line in ("3", "4", "6"):
        assert f'<td class="num">{line}</td>' in table
    assert '<td class="num">2</td>' not in table and '<td class="num">5</td>' not in table
    assert "No regional office with code XX" in table and "Not a valid email address." in table
    assert "1990/2/30 is not a real date" in table and "already on line 2" in table
    assert "nothing was imported" in html
    assert _codes(app) == []


def test_page_import_skip_bad_rows_imports_the_good_ones(app, login, make_office):
    make_office("BJ")
    c = login("supervisor")
    token = c.csrf_token("/directory/dealers/import")
    resp = _upload(c, "/directory/dealers/import", GOOD_AND_BAD.encode(), csrf_token=token, skip_bad_rows="y")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "2 new" in html and "3 bad row(s) skipped" in html
    assert _codes(app) == ["D001", "D004"]


def test_cli_import_refuses_bad_file_then_skips_bad_rows(app, tmp_path, make_office):
    make_office("BJ")
    path = tmp_path / "dealers.csv"
    path.write_bytes(GOOD_AND_BAD.encode("utf-8-sig"))  # Excel's "CSV UTF-8" has a BOM
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["depot", "import-dealers", str(path)])
    assert refused.exit_code == 1
    assert "line 3 (D002)" in refused.output and "line 4 (D003)" in refused.output and "line 6 (D001)" in refused.output
    assert "nothing was imported" in refused.output
    assert _codes(app) == []
    skipped = runner.invoke(args=["depot", "import-dealers", str(path), "--skip-bad-rows"])
    assert skipped.exit_code == 0, skipped.output
    assert "2 created" in skipped.output and "3 bad row(s) skipped" in skipped.output
    assert _codes(app) == ["D001", "D004"]


def test_gbk_file_with_chinese_headers_is_read(app, tmp_path, make_office):
    make_office("SH")
    content = ("代码,名称,联系人,电话,邮箱,生日,区域,办事处,渠道专员\n"
               "S001,上海存储科技有限公司,陈静,021-55667788,chen@example.com,1985年3月8日,华东,SH,周强\n")
    path = tmp_path / "gbk.csv"
    path.write_bytes(content.encode("gbk"))
    result = app.test_cli_runner().invoke(args=["depot", "import-dealers", str(path)])
    assert result.exit_code == 0, result.output
    from core.extensions import db

    with app.app_context():
        dealer = db.session.scalar(select(Dealer).where(Dealer.code == "S001"))
        assert dealer.name == "上海存储科技有限公司" and dealer.contact == "陈静"
        assert dealer.office.code == "SH" and dealer.birthday.isoformat() == "1985-03-08"
        assert dealer.channel_rep == "周强"


def test_import_upserts_by_code_and_keeps_missing_columns(app, api_as, make_office):
    make_office("BJ")
    api = api_as("service")
    first = HEADER + "D001,北京数码商行,王伟,010-62345678,wang@example.com,1980-02-29,华北,BJ\n"
    resp = api.post(
        "/api/v1/dealers/import", data={"file": (io.BytesIO(first.encode()), "d.csv")},
        content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["created"] == 1
    # A second file with fewer columns updates the name and leaves the phone as it was.
    second = "code,name\nD001,北京数码有限公司\n"
    resp = api.post("/api/v1/dealers/import", data={"file": (io.BytesIO(second.encode()), "d.csv")},
                    content_type="multipart/form-data")
    assert resp.get_json()["updated"] == 1 and resp.get_json()["created"] == 0
    dealer = api.get("/api/v1/dealers?q=D001").get_json()["items"][0]
    assert dealer["name"] == "北京数码有限公司" and dealer["phone"] == "010-62345678"


def test_api_import_bad_rows_is_422_with_lines(app, api_as, make_office):
    make_office("BJ")
    api = api_as("service")
    resp = api.post("/api/v1/dealers/import", data={"file": (io.BytesIO(GOOD_AND_BAD.encode()), "d.csv")},
                    content_type="multipart/form-data")
    assert resp.status_code == 422
    body = resp.get_json()
    assert [r["line"] for r in body["rows"]] == [3, 4, 6]
    assert set(body["rows"][0]["errors"]) == {"name", "email", "birthday", "office"}
    assert _codes(app) == []
    skipped = api.post("/api/v1/dealers/import?skip_bad_rows=true",
                       data={"file": (io.BytesIO(GOOD_AND_BAD.encode()), "d.csv")},
                       content_type="multipart/form-data")
    assert skipped.status_code == 200 and skipped.get_json()["skipped"] == 3
    assert _codes(app) == ["D001", "D004"]


def test_import_refuses_unusable_files(app, api_as):
    api = api_as("service")

    def send(raw):
        return api.post("/api/v1/dealers/import", data={"file": (io.BytesIO(raw), "d.csv")},
                        content_type="multipart/form-data")

    assert send(b"").status_code == 422
    unknown = send("code,name,shoe size\nD1,x,42\n".encode())
    assert unknown.status_code == 422 and "shoe size" in unknown.get_json()["message"]
    no_code = send("name,phone\nx,123456\n".encode())
    assert no_code.status_code == 422 and "code" in no_code.get_json()["message"]
    binary = send(bytes(range(256)) * 4)
    assert binary.status_code == 422
    missing = api.post("/api/v1/dealers/import", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "file" in missing.get_json()["errors"]
    assert api_as("clerk").post("/api/v1/dealers/import", data={"file": (io.BytesIO(b"code,name\n"), "d.csv")},
                                content_type="multipart/form-data").status_code == 403
    assert _codes(app) == []
