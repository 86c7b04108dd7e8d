"""The website check's fences: redirects, private addresses, size and time caps, parsing."""

from __future__ import annotations

import pytest

from merchants import website
from merchants.website import FetchError, check_website, fetch
from tests.websites import closed_port_url, local_site

pytestmark = pytest.mark.usefixtures("english")

TOKEN = "tok-3f9a1c7e5b2d4a6c8e0f"


@pytest.fixture
def site():
    with local_site() as site:
        yield site


@pytest.fixture
def public_name(monkeypatch, site):
    """`shop.test` stands for a public website: it resolves to the local test server and
    passes the public-address check, while every other name is checked for real."""
    real = website.public_address
    host, port = site.url.removeprefix("http://").split(":")

    def resolve(name: str, port_: int, allow_private: bool) -> str:
        if name == "shop.test":
            return host
        return real(name, port_, allow_private)

    monkeypatch.setattr(website, "public_address", resolve)
    return f"http://shop.test:{port}"


# ---------------------------------------------------------------------------
# Addresses and redirects
# ---------------------------------------------------------------------------
def test_loopback_address_is_refused_unless_allowed(site):
    site.serve("/", "hello")
    with pytest.raises(FetchError, match="private or reserved"):
        fetch(site.url + "/", allow_private=False)
    assert site.requested == []
    assert fetch(site.url + "/", allow_private=True) == b"hello"


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/",
        "http://0.0.0.0:{port}/",
    ],
)
def test_redirect_to_a_private_address_is_refused(site, public_name, target):
    port = site.url.rsplit(":", 1)[1]
    site.redirect("/", target.format(port=port))
    site.serve("/latest/meta-data/", "secret")

    with pytest.raises(FetchError, match="private or reserved"):
        fetch(public_name + "/", allow_private=False)
    assert site.requested == ["/"]  # the second hop never connected


def test_redirect_within_the_public_site_is_followed(site, public_name):
    site.redirect("/", "/home")
    site.serve("/home", "welcome")
    assert fetch(public_name + "/", allow_private=False) == b"welcome"


def test_redirect_to_another_scheme_is_refused(site, public_name):
    site.redirect("/", "file:///etc/passwd")
    with pytest.raises(FetchError, match="Only http"):
        fetch(public_name + "/", allow_private=False)


def test_too_many_redirects(site):
    for hop in range(6):
        site.redirect(f"/{hop}", f"/{hop + 1}")
    with pytest.raises(FetchError, match="too many"):
        fetch(site.url + "/0", allow_private=True)
    assert len(site.requested) == website.MAX_REDIRECTS + 1


def test_redirect_without_location(site):
    site.serve("/", "", status=302)
    with pytest.raises(FetchError, match="redirect to nowhere"):
        fetch(site.url + "/", allow_private=True)


def test_closed_port_is_unreachable():
    with pytest.raises(FetchError, match="could not be reached"):
        fetch(closed_port_url(), allow_private=True)


def test_unknown_host_is_reported():
    with pytest.raises(FetchError, match="could not be resolved"):
        fetch("http://no-such-host.invalid/", allow_private=True)


def test_port_out_of_range_is_an_error_not_a_crash():
    with pytest.raises(FetchError, match="not valid"):
        fetch("http://shop.am:99999/", allow_private=True)


def test_error_status_is_reported(site):
    site.serve("/", "oops", status=500)
    with pytest.raises(FetchError, match="HTTP status 500"):
        fetch(site.url + "/", allow_private=True)


def test_non_ascii_path_is_percent_encoded(site):
    site.serve("/%D0%BC%D0%B0%D0%B3%D0%B0%D0%B7%D0%B8%D0%BD", "shop")
    assert fetch(site.url + "/магазин", allow_private=True) == b"shop"


# ---------------------------------------------------------------------------
# Size and time caps
# ---------------------------------------------------------------------------
def test_body_is_capped(site):
    site.serve("/", b"x" * (website.MAX_BYTES * 4))
    assert len(fetch(site.url + "/", allow_private=True)) == website.MAX_BYTES


def test_token_beyond_the_size_cap_is_not_found(site):
    padding = "<!-- " + "x" * website.MAX_BYTES + " -->"
    site.serve("/", f'<html><head>{padding}<meta name="inecopay-verification" content="{TOKEN}">')
    result = check_website(site.url + "/", TOKEN, allow_private=True)
    assert not result.ok


def test_slow_site_is_cut_off(site, monkeypatch):
    monkeypatch.setattr(website, "MAX_SECONDS", 0.3)
    site.serve("/", b"y" * 400, drip=0.05)
    with pytest.raises(FetchError, match="too long"):
        fetch(site.url + "/", allow_private=True)


# ---------------------------------------------------------------------------
# Finding the token
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "head",
    [
        f'<meta name="inecopay-verification" content="{TOKEN}">',
        f"<META NAME='Inecopay-Verification' CONTENT='{TOKEN}'/>",
        f'<meta content=" {TOKEN} " name="inecopay-verification">',
        f'<meta charset="utf-8"><meta name="other" content="x">'
        f'<meta name="inecopay-verification" content="{TOKEN}">',
    ],
)
def test_meta_tag_is_found(site, head):
    site.serve("/", f"<!doctype html><html><head>{head}</head><body></body></html>")
    result = check_website(site.url + "/", TOKEN, allow_private=True)
    assert result.ok
    assert result.method == "meta_tag"


@pytest.mark.parametrize(
    "html",
    [
        f'<meta name="description" content="{TOKEN}">',
        f'<!-- <meta name="inecopay-verification" content="{TOKEN}"> -->',
        f"<p>{TOKEN}</p>",
        f'<meta name="inecopay-verification" content="{TOKEN}x">',
        '<meta name="inecopay-verification">',
    ],
)
def test_token_elsewhere_in_the_page_does_not_count(site, html):
    site.serve("/", f"<html><head>{html}</head></html>")
    result = check_website(site.url + "/", TOKEN, allow_private=True)
    assert not result.ok
    assert "neither in the file nor in the meta tag" in result.error


def test_well_known_file_is_found(site):
    site.serve("/.well-known/inecopay-verification.txt", f"\n  {TOKEN}  \r\n")
    result = check_website(site.url + "/some/page", TOKEN, allow_private=True)
    assert result.ok
    assert result.method == "well_known_file"
    # The file lives at the site's root, whatever page the merchant entered.
    assert site.requested == ["/.well-known/inecopay-verification.txt"]


def test_well_known_file_with_another_token_falls_back_to_the_meta_tag(site):
    site.serve_well_known("another-token")
    site.serve_meta_tag(TOKEN)
    result = check_website(site.url + "/", TOKEN, allow_private=True)
    assert result.ok
    assert result.method == "meta_tag"


def test_home_page_error_is_the_one_reported(site):
    # No well-known file (404) is normal; the home page's own failure is what to tell.
    site.serve("/", "down", status=503)
    result = check_website(site.url + "/", TOKEN, allow_private=True)
    assert not result.ok
    assert "503" in result.error
