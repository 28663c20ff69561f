"""`examples/fastapi/app.py`, instrumented for the tests (uvicorn asgi_apps.authgear_asgi:app)."""

import importlib.util
from pathlib import Path

from asgi_apps.instrument import instrument

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi" / "app.py"

_spec = importlib.util.spec_from_file_location("fastapi_example_app", EXAMPLE)
assert _spec is not None and _spec.loader is not None
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)

app = instrument(example.app, example.auth)
