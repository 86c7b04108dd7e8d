"""A report too large to attach, downloaded through the expiring link in its email."""

from django.http import Http404


def report_file(request, token: str):
    raise Http404
