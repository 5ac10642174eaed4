"""`make run` restarts a process that died, pausing longer while it keeps dying."""

from __future__ import annotations

import sys
import time

from tests.processes import wait_until


def test_a_process_that_exits_is_restarted_with_a_growing_pause(devstack, capsys) -> None:
    stack = devstack.Stack()
    steady = stack.start("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    stack.start("flaky", [sys.executable, "-c", "raise SystemExit(3)"])
    try:
        said = []

        def restarted(times: int) -> bool:
            stack.restart_exited()
            said.append(capsys.readouterr().out)
            return "".join(said).count("flaky restarted") >= times

        started = time.monotonic()
        wait_until(lambda: restarted(2), timeout=20, what="two restarts")
        took = time.monotonic() - started
    finally:
        stack.stop()

    log = "".join(said)
    assert "flaky exited with status 3; restarting it in 1 s" in log
    assert "flaky exited with status 3; restarting it in 2 s" in log  # it keeps dying: longer
    assert took >= 3  # 1 s, then 2 s
    assert "steady" not in log  # the rest runs on
    assert steady.poll() is not None  # and stops with the stack
