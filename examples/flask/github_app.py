"""Login with GitHub in a Flask app that runs with several workers.

Try it at once against the bundled local provider (no GitHub account needed)::

    python examples/flask/github_app.py          # then open http://127.0.0.1:5000

With a GitHub OAuth app (its callback URL: http://127.0.0.1:5000/login/github/callback), under
gunicorn with three workers sharing logins through Redis::

    export FLASK_SECRET_KEY=...  FLASK_GITHUB_CLIENT_ID=...  FLASK_GITHUB_CLIENT_SECRET=...
    export FLASK_FLET_AUTH_STORE=redis://127.0.0.1:6379/0     # default: SQLite in instance/
    gunicorn -w 3 -b 127.0.0.1:5000 --chdir examples/flask github_app:app

`FLASK_GITHUB_BASE_URL` and `FLASK_GITHUB_API_BASE_URL` point it at GitHub Enterprise, or at
`python -m flet_auth.testing --port 9000 --login-form` (client id `mock-client`, the secret
it prints).
"""

import secrets
from pathlib import Path

from flask import Flask, render_template

from flet_auth.flask import FletAuth, current_auth, login_required

app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent / "instance"))
app.config.from_prefixed_env()  # FLASK_SECRET_KEY -> SECRET_KEY, FLASK_GITHUB_... -> GITHUB_...

auth = FletAuth(app)
auth.register("github", fetch_groups=True)  # GITHUB_CLIENT_ID / GITHUB_CLIENT_SECRET


@app.get("/")
def home() -> str:
    return render_template("github_home.html")


@app.get("/profile")
@login_required
def profile() -> str:
    token = current_auth.get_token()
    return render_template("github_profile.html", user=current_auth.user, token=token)


@app.get("/api/me")
@login_required
def me() -> dict[str, object]:
    user = current_auth.user
    assert user is not None
    return {"id": user.id, "login": user.get("login"), "teams": [t.name for t in user.groups]}


def run_with_local_provider() -> None:
    """Serves the app on 127.0.0.1:5000 with the bundled provider standing in for GitHub."""
    from flet_auth.testing import MockOAuthServer

    with MockOAuthServer(login_form=True) as server:
        app.config.update(
            GITHUB_CLIENT_ID=server.client_id,
            GITHUB_CLIENT_SECRET=server.client_secret,
            GITHUB_BASE_URL=server.url,
            GITHUB_API_BASE_URL=server.url,
        )
        app.secret_key = app.secret_key or secrets.token_urlsafe(32)
        print(f"Local provider at {server.url}; open http://127.0.0.1:5000")
        app.run(host="127.0.0.1", port=5000)


if __name__ == "__main__":
    if app.config.get("GITHUB_CLIENT_ID"):
        app.run(host="127.0.0.1", port=5000)
    else:
        run_with_local_provider()
