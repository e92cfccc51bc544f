"""`flask depot demo` fills an empty database; every demo login works and gets its own menu."""
import re

from core.directory.demo import DEMO_USERS, demo_password

NAV_RE = re.compile(r'<nav class="mainnav"[^>]*>(.*?)</nav>', re.S)
LINK_RE = re.compile(r'<a href="([^"]+)"')


def _nav(client) -> set[str]:
    page = client.get("/").get_data(as_text=True)
    return set(LINK_RE.findall(NAV_RE.search(page).group(1)))


def test_demo_loads_prints_logins_and_each_role_sees_its_navigation(app):
    result = app.test_cli_runner().invoke(args=["depot", "demo"])
    assert result.exit_code == 0, result.output
    for username, _roles, _office in DEMO_USERS:
        assert re.search(rf"{re.escape(username)}\s+/ {re.escape(demo_password(username))}", result.output)

    navs = {}
    for i, (username, _roles, _office) in enumerate(DEMO_USERS):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i + 1}"  # one address each: the login rate limit is per address
        assert client.login(username, demo_password(username)).status_code == 302, username
        navs[username] = _nav(client)

    assert "/admin/users" in navs["admin"]
    assert all("/admin/users" not in links for name, links in navs.items() if name != "admin")
    assert "/calendar/" in navs["clerk"] and "/calendar/" not in navs["office-bj"]
    assert "/directory/dealers" in navs["office-bj"] and "/directory/dealers" in navs["channel"]
    assert "/directory/dealers" in navs["service"]
    assert "/directory/offices" in navs["channel"] and "/directory/offices" not in navs["office-bj"]
    # Staff, an office, a department and the admin each get a different menu.
    assert len({frozenset(navs[name]) for name in ("admin", "clerk", "office-bj", "channel")}) == 4

    # The demo office user sees only its own office's dealers.
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    client.login("office-bj", demo_password("office-bj"))
    dealers = client.get("/api/v1/dealers?per_page=200").get_json()
    assert dealers["total"] == 10 and {d["office"]["code"] for d in dealers["items"]} == {"BJ"}

    # The complaint desk has a complaint of each tier to try, each at a different step.
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.1.2"
    client.login("service", demo_password("service"))
    complaints = client.get("/api/v1/complaints").get_json()["items"]
    assert {c["tier"] for c in complaints} == {"ordinary", "serious", "very_serious"}
    assert {c["state"] for c in complaints} >= {"fixed", "registered", "referred", "signed"}
    assert any(c["brand"] for c in complaints)


def test_demo_refuses_a_database_with_users(app, make_user):
    make_user("someone", "clerk")
    result = app.test_cli_runner().invoke(args=["depot", "demo"])
    assert result.exit_code != 0 and "empty database" in result.output
