"""Serves the project with cheroot: `python -m dot_project.serve PORT_FILE`.

Binds 127.0.0.1 on a free port, writes that port to PORT_FILE once listening, stops cleanly
on SIGTERM, and exits when its parent dies (a test run killed without cleaning up).
"""

import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Optional

from cheroot.wsgi import Server


def _exit(signum: int, frame: Optional[FrameType]) -> None:
    raise SystemExit(0)


def _exit_with_parent() -> None:
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def main() -> None:
    from dot_project.wsgi import application

    server = Server(("127.0.0.1", 0), application, numthreads=8)
    server.prepare()
    port_file = Path(sys.argv[1])
    partial = port_file.with_suffix(".partial")
    partial.write_text(str(server.bind_addr[1]))
    os.replace(partial, port_file)
    signal.signal(signal.SIGTERM, _exit)
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    try:
        server.serve()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
