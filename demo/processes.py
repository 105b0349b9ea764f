"""Start and stop the real processes: Mosquitto and Home Assistant, each in its own session.

Shared by ``python -m demo`` and the end-to-end test. Every process is started in a new session
(its own process group), so that stopping it stops everything it started, and so that a Ctrl-C
in the terminal reaches only the orchestrating process, which then stops them in order.
Standard library only (the REST calls use urllib).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Final
from urllib import error, request

LOOPBACK: Final = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = LOOPBACK) -> bool:
    """Return True when something accepts TCP connections on the port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.2) -> Any:
    """Call `check` until it returns a true value; raise TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def mosquitto_binary() -> str | None:
    """Return the path of the mosquitto broker, which Debian installs in /usr/sbin."""
    return shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")


class Service:
    """A child process in its own session, its output in a log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        """Prepare, without starting."""
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process (appending to its log)."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own commands
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        """Return True while the process runs."""
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        """Return the process id, once started."""
        return self.process.pid if self.process is not None else None

    def stop(self, timeout: float = 20.0) -> int | None:
        """Stop the process and its group: SIGTERM, then SIGKILL after `timeout` seconds.

        Returns the exit code, None if it was never started. Safe to call twice.
        """
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            self._signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(process.pid, signal.SIGKILL)
                process.wait(5)
        # Anything the process left in its group goes too.
        self._signal_group(process.pid, signal.SIGKILL)
        return process.returncode

    @staticmethod
    def _signal_group(pgid: int, signum: signal.Signals) -> None:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signum)

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the log, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Mosquitto(Service):
    """A private, anonymous Mosquitto broker on a loopback port."""

    def __init__(self, workdir: Path, port: int | None = None, binary: str | None = None) -> None:
        """Write its configuration in `workdir`; pick a free port unless given."""
        binary = binary or mosquitto_binary()
        if binary is None:
            raise FileNotFoundError("mosquitto is not installed (Debian package mosquitto)")
        self.port = port or free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        conf = workdir / "mosquitto.conf"
        # "user root" only keeps the current user when started as root (no switch to the
        # mosquitto account, which could not read this folder).
        user = "root" if os.geteuid() == 0 else ""
        conf.write_text(
            f"listener {self.port} {LOOPBACK}\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "log_dest stdout\n" + (f"user {user}\n" if user else "")
        )
        super().__init__("mosquitto", [binary, "-c", str(conf)], workdir / "mosquitto.log")

    def start(self, timeout: float = 10.0) -> None:
        """Start the broker and wait until it accepts connections."""
        super().start()

        def ready() -> bool:
            if not self.running:
                raise RuntimeError(f"mosquitto exited:\n{self.log_tail()}")
            return port_open(self.port)

        wait_for(f"mosquitto on port {self.port}", ready, timeout, interval=0.05)


def hass_environment(extra_path: str | None = None) -> dict[str, str]:
    """Return a clean environment for Home Assistant: nothing inherited from pytest or coverage.

    `extra_path` is a folder of packages (the frontend) to put on PYTHONPATH.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
    }
    for key in ("SSL_CERT_FILE", "TMPDIR"):
        if key in os.environ:
            env[key] = os.environ[key]
    if extra_path:
        env["PYTHONPATH"] = extra_path
    return env


class HomeAssistant(Service):
    """Home Assistant started with `python -m homeassistant` on a prepared configuration folder."""

    def __init__(
        self,
        config_dir: Path,
        port: int,
        token: str,
        *,
        log_path: Path | None = None,
        extra_path: str | None = None,
        python: str = sys.executable,
    ) -> None:
        """Prepare; `token` is a long-lived access token for the REST API."""
        super().__init__(
            "home-assistant",
            # --skip-pip: everything needed is provisioned; nothing is fetched from the network.
            [python, "-m", "homeassistant", "--config", str(config_dir), "--skip-pip"],
            log_path or config_dir / "hass-output.log",
            env=hass_environment(extra_path),
            cwd=config_dir,
        )
        self.config_dir = config_dir
        self.url = f"http://{LOOPBACK}:{port}"
        self.token = token

    def call(
        self, method: str, path: str, data: Any = None, timeout: float = 10.0
    ) -> tuple[int, Any]:
        """Call the REST API; return the HTTP status and the decoded JSON (None if not JSON)."""
        body = json.dumps(data).encode() if data is not None else None
        req = request.Request(  # noqa: S310 - our own http://127.0.0.1 URL
            self.url + path,
            data=body,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
            },
        )
        try:
            with request.urlopen(req, timeout=timeout) as response:  # noqa: S310
                raw = response.read()
                status = response.status
        except error.HTTPError as err:
            raw, status = err.read(), err.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    def state(self, entity_id: str) -> str | None:
        """Return an entity's state, None when it does not exist (or the API is down)."""
        try:
            status, data = self.call("GET", f"/api/states/{entity_id}", timeout=5)
        except OSError:
            return None
        return data["state"] if status == 200 and data else None

    def start(self, timeout: float = 90.0, entity_id: str | None = None) -> None:
        """Start and wait for the API, and for `entity_id` to exist when given."""
        super().start()

        def ready() -> bool:
            if not self.running:
                raise RuntimeError(f"Home Assistant exited:\n{self.log_tail()}")
            try:
                status, _ = self.call("GET", "/api/", timeout=2)
            except OSError:
                return False
            if status != 200:
                return False
            return entity_id is None or self.state(entity_id) is not None

        wait_for("Home Assistant's API", ready, timeout, interval=0.25)
