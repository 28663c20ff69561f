"""Tests of the framework-neutral web-login core, `flet_auth.web`."""
