"""The web dashboard (FastAPI): see :mod:`gigawatt.web.app`."""
