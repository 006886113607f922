"""The URL fetcher of every PDF (``ccpl.pdf``): it serves only the app's own static files and
data: URIs, so nothing in a document (a rater's comment, say) can make WeasyPrint read a local
file or reach the network. Imported only when a PDF is made: WeasyPrint takes half a second to
load, which no page, worker or command that makes no PDF should pay."""

from urllib.parse import urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_PREFIX = "/static/"
MIME_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


class RefusedURL(ValueError):
    pass


class StaticOnlyURLFetcher(URLFetcher):
    """Answers data: URIs and this app's static files, read from disk; refuses everything else
    (file:, other hosts, paths outside STATIC_URL) without opening a connection."""

    def __init__(self, **kwargs):
        super().__init__(allowed_protocols=["data", "http", "https"], allow_redirects=False,
                         **kwargs)
        self.fetched = []

    def fetch(self, url, headers=None):
        self.fetched.append(url)
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parsed = urlparse(url)
        own_host = urlparse(settings.SITE_URL).netloc
        if parsed.scheme not in ("http", "https") or parsed.netloc != own_host:
            raise RefusedURL(f"Not fetched: {url}")
        path = parsed.path
        if not path.startswith(STATIC_PREFIX) or ".." in path.split("/"):
            raise RefusedURL(f"Not fetched: {url}")
        found = finders.find(path[len(STATIC_PREFIX):])
        if not found:
            raise RefusedURL(f"No such static file: {url}")
        with open(found, "rb") as handle:
            data = handle.read()
        suffix = path[path.rfind("."):]
        return URLFetcherResponse(url, body=data, headers={
            "Content-Type": MIME_TYPES.get(suffix, "application/octet-stream")})
