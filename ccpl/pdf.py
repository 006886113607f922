"""PDFs with WeasyPrint, from the same templates as the pages (360° reports, the action plan, the
diversity summary, the FPPT annual return), fetching nothing but the app's own static files
(``ccpl.pdf_fetcher``). WeasyPrint is imported when a PDF is made, not when the URLs are loaded:
it takes half a second, which every process that builds a link (the reminder sweep) would pay."""

from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template, context, fetcher=None):
    # Here, not at the top: loading the URLs must not load WeasyPrint (see the docstring).
    from weasyprint import HTML

    from .pdf_fetcher import StaticOnlyURLFetcher

    html = render_to_string(template, context)
    fetcher = fetcher or StaticOnlyURLFetcher()
    return HTML(string=html, base_url=f"{settings.SITE_URL}/", url_fetcher=fetcher).write_pdf()
