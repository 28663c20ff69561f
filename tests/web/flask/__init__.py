"""Tests of the Flask layer, `flet_auth.flask`, in-process and under gunicorn."""
