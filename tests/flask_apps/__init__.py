"""Helpers of the Flask tests: the example apps with test-only routes, and the processes
(gunicorn, redis-server) the tests start and stop."""
