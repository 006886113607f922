import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccpl.settings")
application = get_wsgi_application()


def tune_garbage_collector():
    """A page of a large system builds a few thousand model instances, so Python's default
    collector (a young collection every 700 allocations, and now and then a full one over
    every object the process holds: some 200,000 once Django, the app and its templates are
    loaded) spent ~22 ms per request on the body page on average, most of it in full
    collections that land on one request in ten. Objects loaded at start-up are moved out of
    the collector's reach (they live as long as the worker), and young collections run every
    50,000 allocations; a request's own cycles are still collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


tune_garbage_collector()
