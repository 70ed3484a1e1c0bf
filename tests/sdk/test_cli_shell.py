"""The interactive shell as a user sees it: `hexaclaw` on a pseudo-terminal (stdlib `pty`)
against `hexaclaw gateway run` whose Brave upstream is a fake serving the documented answer.
The test types slash commands at the prompt and reads what the terminal shows."""
import json
import os
import pty
import select
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import BIN, Gateway, free_port, wait_for_startup_maintenance

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")
BRAVE_KEY = "brave-sdk-test-key"


class FakeBrave:
    """Brave's web search on a loopback port: the documented body, queries recorded."""

    def __init__(self):
        self.queries = []
        fake = self
        with open(os.path.join(FIXTURES, "brave", "web_search.json"), "rb") as f:
            body = f.read()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.queries.append(self.path)
                ok = self.headers.get("X-Subscription-Token") == BRAVE_KEY
                data = body if ok else b'{"type":"ErrorResponse"}'
                self.send_response(200 if ok else 422)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def brave_gateway():
    brave = FakeBrave()
    data_dir = tempfile.mkdtemp(prefix="hexaclaw-sdk-shell-")
    port = free_port()
    log_path = os.path.join(data_dir, "gateway.log")
    env = dict(os.environ)
    env["RUST_LOG"] = "info"  # wait_for_startup_maintenance reads an info line
    env.update({
        "HEXACLAW_KEY_CACHE_TTL_SECS": "0",
        "HEXACLAW_UPSTREAM_BRAVE": brave.origin,
        "BRAVE_API_KEY": BRAVE_KEY,
    })
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [BIN, "gateway", "run", "--port", str(port), "--data-dir", data_dir],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                break
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("gateway did not start: " + open(log_path).read())
            time.sleep(0.1)
    wait_for_startup_maintenance(log_path, proc, deadline)
    gw = Gateway(data_dir, port, log_path, proc)
    gw.brave = brave
    yield gw
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    brave.stop()


class Terminal:
    """A program on a pseudo-terminal: type lines, read the screen's text."""

    def __init__(self, args, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(BIN, [BIN, *args], env)
            finally:
                os._exit(127)
        self.seen = ""

    def read_until(self, text, timeout=20):
        """Everything shown from now until `text` appears (inclusive)."""
        start = len(self.seen)
        deadline = time.time() + timeout
        while text not in self.seen[start:]:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.seen[start:]}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"the program ended before {text!r}:\n{self.seen[start:]}")
                self.seen += chunk.decode("utf-8", "replace")
        return self.seen[start:]

    def type(self, line):
        os.write(self.fd, line.encode() + b"\r")

    def wait(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            try:
                if select.select([self.fd], [], [], 0.05)[0]:
                    self.seen += os.read(self.fd, 4096).decode("utf-8", "replace")
            except OSError:
                time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("the shell did not exit")


def test_the_shell_on_a_terminal_runs_slash_commands(brave_gateway):
    gw = brave_gateway
    _, key = gw.new_account(credits=50)
    home = tempfile.mkdtemp(prefix="hexaclaw-cli-home-")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "TERM": "xterm",
        "HEXACLAW_CONFIG_DIR": os.path.join(home, ".openclaw"),
        "HEXACLAW_API_BASE": gw.base,
        "HEXACLAW_API_KEY": key,
    }
    # `hexaclaw` with no arguments is the shell.
    t = Terminal([], env)
    banner = t.read_until("hexaclaw> ")
    assert "HexaClaw shell" in banner and "/help" in banner

    t.type("/budget")
    screen = t.read_until("hexaclaw> ")
    assert "balance: 50 credits available" in screen, screen
    assert "cost: free" in screen, screen

    t.type('/search "rust async runtimes"')
    screen = t.read_until("hexaclaw> ")
    assert "1. string" in screen, screen
    assert "cost: 1 credit" in screen, screen
    # On a terminal the spinner shows while the search runs.
    assert "Searching the web for" in screen, screen
    assert gw.brave.queries and "q=rust+async+runtimes" in gw.brave.queries[-1]

    t.type("/budget")
    screen = t.read_until("hexaclaw> ")
    assert "balance: 49 credits available" in screen, screen

    t.type("/imagine a cat --model ultra")
    screen = t.read_until("hexaclaw> ")
    assert "--model is schnell, dev or pro" in screen, screen

    t.type("/exit")
    assert t.wait() == 0
    # Nothing secret was ever on the screen.
    assert key not in t.seen
