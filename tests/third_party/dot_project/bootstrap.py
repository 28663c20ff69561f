"""Fills a fresh database: `python -m dot_project.bootstrap < config.json`.

The JSON has `users` (username, email, password) and `applications` (fields of DOT's
Application; a plaintext `client_secret` is hashed when saved).
"""

import json
import sys

import django


def main() -> None:
    config = json.load(sys.stdin)
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from oauth2_provider.models import get_application_model

    call_command("migrate", interactive=False, run_syncdb=True, verbosity=0)
    users = get_user_model().objects
    for user in config["users"]:
        users.create_user(user["username"], user["email"], user["password"])
    for fields in config["applications"]:
        get_application_model().objects.create(**fields)


if __name__ == "__main__":
    main()
