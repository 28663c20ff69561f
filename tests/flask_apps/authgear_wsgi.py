"""`examples/flask/authgear_app.py`, instrumented for the tests (gunicorn authgear_wsgi:app)."""

from authgear_app import app as example_app

from flask_apps.instrument import instrument

app = instrument(example_app)
