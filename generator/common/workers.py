"""Worker processes that end with the process that started them."""

from __future__ import annotations

import os
import select
import threading


def end_with(pid: int) -> None:
    """A worker's initializer: end the worker when process ``pid`` (the build) ends.

    If the build is killed, nothing else would end them: each worker holds open the pipe
    its forkserver waits on and the queue it waits on itself, so workers and forkserver
    would wait on each other forever. PR_SET_PDEATHSIG does not help, as a worker's parent
    is the forkserver, not the build; a thread waits on a pidfd of the build instead (Linux;
    elsewhere the workers are not watched).
    """
    if not hasattr(os, "pidfd_open"):
        return
    try:
        build = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)

    def watch() -> None:
        select.select([build], [], [])  # readable once the process has ended
        os._exit(1)

    threading.Thread(target=watch, name="end-with-build", daemon=True).start()
