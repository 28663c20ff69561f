"""A minimal Django project serving django-oauth-toolkit, started by `server.py`."""
