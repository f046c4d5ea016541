"""Racing two requests for real: threads released together against the real database."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

WORKERS = 2


def run_at_once(
    action: Callable[[int], object], workers: int = WORKERS
) -> list[tuple[str, object]]:
    """Run ``action(worker_number)`` in ``workers`` threads released together by a barrier.

    Returns one ("ok", result) or ("error", exception) per worker, in worker order. Each
    thread has its own database connection, closed when it ends.
    """
    barrier = threading.Barrier(workers, timeout=30)
    results: list[tuple[str, object] | None] = [None] * workers

    def work(number: int) -> None:
        try:
            barrier.wait()
            results[number] = ("ok", action(number))
        except Exception as error:  # reported to the test, not lost in the thread
            results[number] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker hung (deadlock?)"
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]
