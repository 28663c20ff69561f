"""Real third-party OAuth 2.0 servers that the tests start on 127.0.0.1."""
