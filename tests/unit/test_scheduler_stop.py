"""The scheduler process stops once, whatever number of signals reach it."""

from __future__ import annotations

import signal
import threading
from datetime import UTC

from apscheduler.schedulers.blocking import BlockingScheduler

from app.cli import stopper


def test_a_second_signal_while_stopping_is_ignored() -> None:
    sched = BlockingScheduler(timezone=UTC)
    running = threading.Thread(target=sched.start, daemon=True)
    running.start()
    for _ in range(100):
        if sched.running:
            break
        threading.Event().wait(0.01)
    assert sched.running
    stop = stopper(sched)
    # Ctrl-C in a terminal reaches the scheduler, and `make run`'s trap sends it SIGTERM too.
    stop(signal.SIGINT, None)
    stop(signal.SIGTERM, None)  # stopping a stopped scheduler raised SchedulerNotRunningError
    running.join(timeout=5)
    assert not sched.running and not running.is_alive()
