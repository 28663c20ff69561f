"""`examples/flask/github_app.py`, instrumented for the tests (gunicorn github_wsgi:app)."""

from github_app import app as example_app

from flask_apps.instrument import instrument

app = instrument(example_app)
