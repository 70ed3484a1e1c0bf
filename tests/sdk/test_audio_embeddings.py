"""Embeddings, text-to-speech and speech-to-text as a user meets them: the official OpenAI SDK
against `hexaclaw gateway run`, whose OpenAI and Gemini upstreams point at a fake speaking the
documented JSON (tests/sdk/fake_services.py). Every call is checked for its exact charge."""
import math
import os
import struct
import subprocess
import tempfile
import time
import urllib.request

import openai
import pytest
from openai import OpenAI

from conftest import BIN, Gateway, free_port, wait_for_startup_maintenance
from fake_services import AUDIO_CHUNKS, TRANSCRIPT, FakeServices

AUDIO_FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "audio")


@pytest.fixture(scope="module")
def fake():
    f = FakeServices()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def services_gateway(fake):
    """A second gateway whose OpenAI and Gemini upstreams are the fake."""
    data_dir = tempfile.mkdtemp(prefix="hexaclaw-sdk-services-")
    port = free_port()
    log_path = os.path.join(data_dir, "gateway.log")
    env = dict(os.environ)
    env.update({
        "RUST_LOG": "info",
        "HEXACLAW_KEY_CACHE_TTL_SECS": "0",
        "HEXACLAW_UPSTREAM_OPENAI": fake.origin,
        "HEXACLAW_UPSTREAM_GEMINI": fake.origin,
        "OPENAI_API_KEY": "sk-sdk-test-openai",
        "GEMINI_API_KEY": "AIza-sdk-test-gemini",
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
    yield Gateway(data_dir, port, log_path, proc)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


class Account:
    def __init__(self, gw, credits=20):
        self.gw = gw
        self.id, key = gw.new_account(credits=credits)
        self.start = credits * 1_000_000
        self.client = OpenAI(base_url=gw.base + "/v1", api_key=key, max_retries=0)

    def charged_micros(self):
        """What the account paid so far, once nothing is held; the ledger audit must pass."""
        deadline = time.time() + 10
        while True:
            a = self.gw.admin("account", "audit", "--account", self.id)
            assert a["ledger_matches_balance"] is True
            if a["held_micros"] == 0:
                return self.start - a["available_micros"]
            assert time.time() < deadline, a
            time.sleep(0.05)


def wav(seconds, rate=8000):
    n = int(seconds * rate)
    return (b"RIFF" + struct.pack("<I", 36 + n) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8)
            + b"data" + struct.pack("<I", n) + b"\x80" * n)


def test_openai_embeddings_with_the_sdk(services_gateway, fake):
    acct = Account(services_gateway)
    # The SDK asks for base64 by default and decodes it back to floats.
    r = acct.client.embeddings.create(model="text-embedding-3-small", input="The food was delicious")
    assert r.model == "text-embedding-3-small"
    assert r.usage.prompt_tokens == 8
    got = r.data[0].embedding
    for a, b in zip(got, [0.0023064255, -0.009327292, -0.0028842222]):
        assert math.isclose(a, b, rel_tol=1e-6)
    sent = fake.requests_to("/v1/embeddings")[-1]
    assert sent[1]["Authorization"] == "Bearer sk-sdk-test-openai"
    # 8 tokens × 2 credits per 1M.
    assert acct.charged_micros() == 16


def test_gemini_embeddings_with_the_sdk(services_gateway, fake):
    acct = Account(services_gateway)
    r = acct.client.embeddings.create(model="gemini-embedding-001", input=["Hello, world", "Embed me, please"],
                                      encoding_format="float")
    assert [d.index for d in r.data] == [0, 1]
    assert r.data[1].embedding == pytest.approx([-0.0074934093, 0.007946479, 0.0053508296])
    # No usage from Gemini: 12 and 16 bytes estimated at 3 + 4 tokens, 1 credit per 1M.
    assert r.usage.prompt_tokens == 7
    assert acct.charged_micros() == 7
    sent = fake.requests_to(":batchEmbedContents")[-1]
    assert sent[0] == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    assert sent[1]["x-goog-api-key"] == "AIza-sdk-test-gemini"


def test_embedding_errors_are_sdk_errors_and_free(services_gateway, fake):
    acct = Account(services_gateway)
    before = len(fake.seen)
    with pytest.raises(openai.NotFoundError):
        acct.client.embeddings.create(model="text-embedding-4-huge", input="x")
    with pytest.raises(openai.BadRequestError):
        acct.client.embeddings.create(model="text-embedding-3-small", input="")
    with pytest.raises(openai.BadRequestError):
        acct.client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=4096)
    assert len(fake.seen) == before
    assert acct.charged_micros() == 0


def test_speech_streams_with_the_sdk(services_gateway):
    acct = Account(services_gateway)
    with acct.client.audio.speech.with_streaming_response.create(
        model="tts-1-hd", voice="nova", input="Hello from HexaClaw!", response_format="mp3"
    ) as resp:
        assert resp.headers["content-type"] == "audio/mpeg"
        chunks = list(resp.iter_bytes())
    assert b"".join(chunks) == b"".join(AUDIO_CHUNKS)
    # 20 characters of tts-1-hd at 2 credits per 1K = 0.04 credits.
    assert acct.charged_micros() == 40_000
    plain = acct.client.audio.speech.create(model="tts-1", voice="alloy", input="Hi")
    assert plain.content == b"".join(AUDIO_CHUNKS)
    assert acct.charged_micros() == 40_000 + 2_000


def test_speech_rejects_unknown_voice(services_gateway, fake):
    acct = Account(services_gateway)
    before = len(fake.seen)
    with pytest.raises(openai.BadRequestError) as e:
        acct.client.audio.speech.create(model="tts-1", voice="ash", input="Hi")
    assert "voice" in e.value.body["message"]
    assert len(fake.seen) == before
    assert acct.charged_micros() == 0


def test_transcriptions_with_the_sdk_bill_started_minutes(services_gateway, fake):
    acct = Account(services_gateway)
    t = acct.client.audio.transcriptions.create(model="whisper-1", file=("speech.wav", wav(59.5), "audio/wav"))
    assert t.text == TRANSCRIPT
    assert acct.charged_micros() == 1_000_000
    with open(os.path.join(AUDIO_FIXTURES, "silence_61s.m4a"), "rb") as f:
        t = acct.client.audio.transcriptions.create(model="whisper-1", file=f, language="en")
    assert t.text == TRANSCRIPT
    assert acct.charged_micros() == 3_000_000
    text = acct.client.audio.transcriptions.create(model="whisper-1", file=("x.wav", wav(2), "audio/wav"),
                                                   response_format="text")
    assert text.strip() == TRANSCRIPT
    assert acct.charged_micros() == 4_000_000
    sent = fake.requests_to("/v1/audio/transcriptions")
    assert len(sent) == 3
    assert b'filename="silence_61s.m4a"' in sent[1][2]


def test_transcription_of_a_non_audio_file_is_refused_for_free(services_gateway, fake):
    acct = Account(services_gateway)
    before = len(fake.seen)
    with pytest.raises(openai.BadRequestError):
        acct.client.audio.transcriptions.create(model="whisper-1", file=("notes.mp3", b"not audio at all", "audio/mpeg"))
    assert len(fake.seen) == before
    assert acct.charged_micros() == 0
