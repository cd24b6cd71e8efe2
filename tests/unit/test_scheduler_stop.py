"""The scheduler process stops once, whatever number of signals reach it, and stops in its main
thread after a running tick has finished, never inside the signal handler."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from app.cli import StopRequest, wait_then_stop


def _scheduler_with_a_tick(
    started: threading.Event, release: threading.Event
) -> tuple[BackgroundScheduler, list[str]]:
    done: list[str] = []

    def tick() -> None:
        started.set()
        release.wait(10)
        done.append("mail sent")

    sched = BackgroundScheduler(timezone=UTC)
    sched.add_job(tick, "interval", seconds=3600, next_run_time=datetime.now(UTC))
    sched.start()
    return sched, done


def test_the_handler_only_records_the_request_and_the_main_thread_stops_after_the_tick() -> None:
    started, release = threading.Event(), threading.Event()
    sched, done = _scheduler_with_a_tick(started, release)
    try:
        assert started.wait(5), "the first tick did not start"
        request = StopRequest()
        # Ctrl-C in a terminal reaches the scheduler, and `make run`'s trap sends it SIGTERM too.
        request(signal.SIGINT, None)
        request(signal.SIGTERM, None)
        # The handler returned while the tick still runs: it waited for nothing, stopped nothing.
        assert request.asked and request.signal == signal.SIGINT
        assert sched.running and not done

        stopping = threading.Thread(target=wait_then_stop, args=(sched, request, 0.01))
        stopping.start()
        stopping.join(0.2)
        assert stopping.is_alive(), "the scheduler stopped before its tick had finished"
        release.set()
        stopping.join(5)
        assert not stopping.is_alive()
        assert done == ["mail sent"] and not sched.running
    finally:
        release.set()
        if sched.running:
            sched.shutdown(wait=False)


def test_without_a_request_the_main_thread_keeps_waiting() -> None:
    started, release = threading.Event(), threading.Event()
    sched, _done = _scheduler_with_a_tick(started, release)
    release.set()
    request = StopRequest()
    waiting = threading.Thread(target=wait_then_stop, args=(sched, request, 0.01), daemon=True)
    waiting.start()
    waiting.join(0.2)
    try:
        assert waiting.is_alive() and sched.running
        request(signal.SIGTERM, None)
        waiting.join(5)
        assert not waiting.is_alive() and not sched.running
    finally:
        if sched.running:
            sched.shutdown(wait=False)
