"""Checking that a merchant controls its website: a token in a meta tag or a well-known file.

The server fetches the merchant's URL, so the fetch is fenced: HTTP(S) only, a timeout,
a size cap, at most three redirects, and (outside DEBUG) no address in a private,
loopback, link-local or otherwise non-public range, checked on every hop against the
address actually connected to.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

from django.utils.translation import gettext_lazy as _

WELL_KNOWN_PATH = "/.well-known/inecopay-verification.txt"
META_NAME = "inecopay-verification"
TIMEOUT_SECONDS = 5
# The socket timeout bounds each step; this bounds one fetch as a whole (redirects,
# connecting, the body), so a site that trickles a byte every few seconds cannot hold
# a web worker: check_website makes two fetches, well under gunicorn's 30 seconds.
MAX_SECONDS = 10
MAX_BYTES = 256 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "Inecopay-Website-Verification/1.0"


class FetchError(Exception):
    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class WebsiteCheck:
    ok: bool
    method: str = ""  # "meta_tag" or "well_known_file" when ok
    error: str = ""


def public_address(host: str, port: int, allow_private: bool) -> str:
    """An address of `host` to connect to: a public one, unless private ones are allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(_("The website's address could not be resolved.")) from exc
    for info in infos:
        address = info[4][0]
        ip = ipaddress.ip_address(address)
        if allow_private or ip.is_global:
            return address
    raise FetchError(_("The website resolves to a private or reserved network address."))


class PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def _too_slow() -> FetchError:
    return FetchError(_("The website took too long to answer."))


def _remaining(deadline: float) -> float:
    """Seconds left for the next socket operation, at most TIMEOUT_SECONDS."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise _too_slow()
    return min(TIMEOUT_SECONDS, left)


def _read_body(response: http.client.HTTPResponse, deadline: float) -> bytes:
    """At most MAX_BYTES of the body, read before the deadline."""
    chunks: list[bytes] = []
    size = 0
    while size < MAX_BYTES:
        _remaining(deadline)
        chunk = response.read1(min(64 * 1024, MAX_BYTES - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def fetch(url: str, *, allow_private: bool) -> bytes:
    """GET `url` within the fences above; the body, at most MAX_BYTES."""
    deadline = time.monotonic() + MAX_SECONDS
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:  # a port out of range, from the merchant or a redirect
            raise FetchError(_("The website address is not valid.")) from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(_("Only http:// and https:// websites can be checked."))
        address = public_address(parts.hostname, port, allow_private)
        connection_class = (
            PinnedHTTPSConnection if parts.scheme == "https" else PinnedHTTPConnection
        )
        connection = connection_class(parts.hostname, port, address, _remaining(deadline))
        # http.client sends the request line as ASCII: percent-encode anything else.
        path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~")
        if parts.query:
            path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=~?")
        try:
            connection.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise FetchError(_("The website answered with a redirect to nowhere."))
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchError(
                    _("The website answered with HTTP status %(status)s.")
                    % {"status": response.status}
                )
            return _read_body(response, deadline)
        except TimeoutError as exc:
            raise _too_slow() from exc
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(_("The website could not be reached.")) from exc
        finally:
            connection.close()
    raise FetchError(_("The website redirected too many times."))


class _MetaFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = dict(attrs)
        if (values.get("name") or "").lower() == META_NAME and values.get("content"):
            self.tokens.append(values["content"].strip())


def check_website(url: str, token: str, *, allow_private: bool) -> WebsiteCheck:
    """Look for `token` in the well-known file, then in the home page's meta tag."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    try:
        body = fetch(origin + WELL_KNOWN_PATH, allow_private=allow_private)
        if token in body.decode("utf-8", errors="replace").split():
            return WebsiteCheck(ok=True, method="well_known_file")
    except FetchError:
        # Most sites have no such file (they use the meta tag): a 404 here says nothing;
        # the home page below tells what is wrong with the site.
        pass
    try:
        body = fetch(url, allow_private=allow_private)
    except FetchError as exc:
        return WebsiteCheck(ok=False, error=str(exc.message))
    finder = _MetaFinder()
    finder.feed(body.decode("utf-8", errors="replace"))
    if token in finder.tokens:
        return WebsiteCheck(ok=True, method="meta_tag")
    return WebsiteCheck(
        ok=False,
        error=str(_("The verification token was found neither in the file nor in the meta tag.")),
    )
