"""Fixtures for the SDK suite: a real `hexaclaw gateway run` process on a free loopback port,
with its own data dir, and accounts/keys made with `hexaclaw admin` against the same data dir
while the gateway runs (as users do). Its seven chat providers are the `fake-upstream` binary
(fixtures replayed byte for byte), started first and pointed at by HEXACLAW_UPSTREAM_*."""
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

BIN = os.environ.get("HEXACLAW_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "target", "debug", "hexaclaw"
)


FAKE_BIN = os.path.join(os.path.dirname(os.path.abspath(BIN)), "fake-upstream")

# Provider name -> env suffix (HEXACLAW_UPSTREAM_<S>, <S>_API_KEY); keys as `fake::platform_key`.
PROVIDERS = {"openai": "OPENAI", "anthropic": "ANTHROPIC", "gemini": "GEMINI", "xai": "XAI",
             "deepseek": "DEEPSEEK", "mistral": "MISTRAL", "groq": "GROQ"}


def platform_key(provider):
    return f"fake-platform-key-{provider}"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class FakeUpstream:
    """The `fake-upstream` process: what it was asked, and a reset between tests."""

    def __init__(self, proc, origin):
        self.proc = proc
        self.origin = origin

    def requests(self):
        with urllib.request.urlopen(self.origin + "/_fake/requests", timeout=10) as r:
            out = json.loads(r.read())
        for x in out:
            x["headers"] = {k: v for k, v in x["headers"]}
            try:
                x["json"] = json.loads(x["body"])
            except ValueError:
                x["json"] = None
        return out

    def reset(self):
        req = urllib.request.Request(self.origin + "/_fake/reset", data=b"", method="POST")
        urllib.request.urlopen(req, timeout=10).read()


class Gateway:
    def __init__(self, data_dir, port, log_path, proc, fake=None):
        self.data_dir = data_dir
        self.port = port
        self.log_path = log_path
        self.proc = proc
        self.fake = fake
        self.base = f"http://127.0.0.1:{port}"

    def admin(self, *args):
        out = subprocess.run(
            [BIN, "admin", "--data-dir", self.data_dir, *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return json.loads(out.stdout)

    def new_account(self, tier="pro", credits=100):
        email = f"user-{time.time_ns()}@example.com"
        acct = self.admin("account", "create", "--email", email, "--tier", tier)["account_id"]
        if credits:
            self.admin("credits", "grant", "--account", acct, "--credits", str(credits))
        key = self.admin("key", "create", "--account", acct, "--name", "sdk-test")["key"]
        return acct, key

    def logs(self):
        with open(self.log_path) as f:
            return f.read()

    def http(self, method, path, key=None, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if key:
            req.add_header("Authorization", f"Bearer {key}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()


@pytest.fixture(scope="session")
def fake_upstream():
    if not os.path.exists(FAKE_BIN):
        raise RuntimeError(f"{FAKE_BIN} is missing: run `cargo build --workspace --bins`")
    proc = subprocess.Popen([FAKE_BIN, "--port", "0"], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"fake-upstream did not start: {line!r}")
    fake = FakeUpstream(proc, "http://" + line[len("listening on "):])
    yield fake
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_for_startup_maintenance(log_path, proc, deadline):
    """The gateway runs maintenance once at start (monthly grants included); an account a
    test creates before that run reads its queue would get its first grant at once and throw
    the test's balances off. Needs RUST_LOG at info or below."""
    while "maintenance run" not in open(log_path).read():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("no start-up maintenance run: " + open(log_path).read())
        time.sleep(0.02)


@pytest.fixture(scope="session")
def gateway(fake_upstream):
    data_dir = tempfile.mkdtemp(prefix="hexaclaw-sdk-")
    port = free_port()
    log_path = os.path.join(data_dir, "gateway.log")
    env = dict(os.environ)
    env["RUST_LOG"] = "debug"
    env.setdefault("HEXACLAW_KEY_CACHE_TTL_SECS", "0")
    for name, suffix in PROVIDERS.items():
        env[f"HEXACLAW_UPSTREAM_{suffix}"] = fake_upstream.origin
        env[f"{suffix}_API_KEY"] = platform_key(name)
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [BIN, "gateway", "run", "--port", str(port), "--data-dir", data_dir],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                break
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError("gateway exited: " + open(log_path).read())
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("gateway did not start")
    wait_for_startup_maintenance(log_path, proc, deadline)
    gw = Gateway(data_dir, port, log_path, proc, fake_upstream)
    yield gw
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
