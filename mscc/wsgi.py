import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mscc.settings")
django_application = get_wsgi_application()

# Imported once Django is set up: it reads the limits from the settings.
from mscc.request_body import RequestBodyGuard  # noqa: E402

# Bodies refused, taken whole and de-chunked before Django runs (mscc/request_body.py).
application = RequestBodyGuard(django_application)
