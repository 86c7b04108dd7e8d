"""Settings of the gunicorn the payments API benchmark starts: the portal's own, with a
URLconf that adds the two ceiling views. Used only by `python -m benchmarks`."""

from inecopay.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
