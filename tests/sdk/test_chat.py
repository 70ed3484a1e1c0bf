"""Chat completions as users call them: the official `openai` Python SDK (sync, streaming with
usage, tools, JSON mode, vision) against `hexaclaw gateway run`, every provider answered by the
`fake-upstream` binary from the recorded fixtures; plus the API reference's own snippets with
only the host (and key) changed."""
import io
import json
import os
import shutil
import subprocess
import contextlib

import openai
import pytest
from openai import OpenAI

from conftest import platform_key

# (model, provider, text without streaming, text streamed, prompt/completion tokens streamed).
# Where a provider's docs show different examples for the two modes, each mode has its own.
HELLO = "Hello! How can I assist you today?"
MODELS = [
    ("gpt-4.1", "openai", HELLO, HELLO, (19, 10)),
    ("claude-sonnet-4-6", "anthropic", "Hello!", "Hello!", (25, 15)),
    ("gemini-2.5-flash", "gemini", "Paris\n", "Paris\n", (10, 2)),
    ("grok-3", "xai", "101 multiplied by 3 is 303.", "Ah, the ultimate question!!", (41, 80)),
    ("deepseek-chat", "deepseek", "Hello! How can I help you today?", HELLO, (17, 9)),
    ("mistral-large-latest", "mistral", HELLO, HELLO, (10, 9)),
    ("llama-3.3-70b-versatile", "groq", "The answer is 4.", "The answer is 4.", (13, 7)),
]
IDS = [m[0] for m in MODELS]

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a place",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                   "required": ["location"]}}}]

# A 1x1 transparent PNG.
PNG_DATA_URL = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42"
                "mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def key(gateway):
    return gateway.new_account(credits=1000)[1]


@pytest.fixture
def client(gateway, key):
    return OpenAI(base_url=gateway.base + "/v1", api_key=key, max_retries=0)


@pytest.mark.parametrize("model,provider,text,_streamed,_usage", MODELS, ids=IDS)
def test_sync_completion_every_provider(gateway, client, model, provider, text, _streamed, _usage):
    gateway.fake.reset()
    raw = client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": "Hello, world!"}])
    resp = raw.parse()
    assert resp.object == "chat.completion"
    assert resp.model == model
    assert resp.choices[0].message.content == text
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens
    assert resp.usage.model_dump()["cost"] > 0
    assert raw.headers["x-model-used"] == model
    assert raw.headers["x-generation-id"].startswith("gen_")
    for h in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
        assert raw.headers[h].isdigit()
    sent = gateway.fake.requests()
    assert [r["provider"] for r in sent] == [provider]
    headers = sent[0]["headers"]
    got_key = (headers.get("authorization", "").removeprefix("Bearer ")
               or headers.get("x-api-key") or headers.get("x-goog-api-key"))
    assert got_key == platform_key(provider)


@pytest.mark.parametrize("model,provider,_text,streamed,usage", MODELS, ids=IDS)
def test_streaming_with_usage_every_provider(gateway, client, model, provider, _text, streamed, usage):
    gateway.fake.reset()
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Hello, world!"}],
        stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == streamed
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["stop"]
    last = chunks[-1]
    assert last.choices == []
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == usage
    assert last.usage.model_dump()["cost"] > 0
    assert all(c.usage is None for c in chunks[:-1])
    sent = gateway.fake.requests()
    assert len(sent) == 1
    if provider == "gemini":
        assert sent[0]["path"].endswith(":streamGenerateContent?alt=sse")
    else:
        assert sent[0]["json"]["stream"] is True
    if provider in ("openai", "xai", "deepseek", "groq"):
        assert sent[0]["json"]["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("model", IDS)
def test_tool_calls_every_provider(client, model):
    resp = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "What's the weather in Paris? [tool]"}],
        tools=TOOLS)
    calls = resp.choices[0].message.tool_calls
    assert calls
    if model != "mistral-large-latest":  # Mistral's documented example says "stop".
        assert resp.choices[0].finish_reason == "tool_calls"
    for c in calls:
        assert c.type == "function" and c.function.name
        assert isinstance(json.loads(c.function.arguments), dict)

    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "What's the weather in Paris? [tool]"}],
        tools=TOOLS, stream=True)
    args, names = {}, {}
    for chunk in stream:
        for tc in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            args[tc.index] = args.get(tc.index, "") + (tc.function.arguments or "")
            if tc.function.name:
                names[tc.index] = tc.function.name
    assert names and set(names.values()) == {"get_weather"}
    for a in args.values():
        assert "location" in json.loads(a)


@pytest.mark.parametrize("model", IDS)
def test_json_mode_reaches_every_provider(gateway, client, model):
    gateway.fake.reset()
    resp = client.chat.completions.create(
        model=model, response_format={"type": "json_object"},
        messages=[{"role": "user", "content": "Reply in JSON."}])
    assert resp.choices[0].message.content
    body = gateway.fake.requests()[0]["json"]
    provider = gateway.fake.requests()[0]["provider"]
    if provider == "gemini":
        assert body["generationConfig"]["responseMimeType"] == "application/json"
    elif provider == "anthropic":
        # No JSON mode in the Messages API: asked for in the system prompt.
        assert "JSON" in json.dumps(body["system"])
    else:
        assert body["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize("model", ["gpt-4.1", "claude-sonnet-4-6", "gemini-2.5-flash",
                                   "mistral-large-latest"])
def test_vision_with_a_data_url_image(gateway, client, model):
    gateway.fake.reset()
    resp = client.chat.completions.create(model=model, messages=[{"role": "user", "content": [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
    ]}])
    assert resp.choices[0].message.content
    body = json.dumps(gateway.fake.requests()[0]["json"])
    # The image bytes reach the provider in its own format.
    assert PNG_DATA_URL.split(",", 1)[1] in body


def test_byok_key_reaches_the_provider_and_ours_does_not(gateway, client):
    gateway.fake.reset()
    resp = client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "Hello"}],
        extra_headers={"X-Provider-Key": "sk-caller-own-key-42"})
    assert resp.usage.model_dump()["cost"] == 1
    headers = gateway.fake.requests()[0]["headers"]
    assert headers["authorization"] == "Bearer sk-caller-own-key-42"
    assert platform_key("openai") not in json.dumps(headers)


def test_upstream_errors_are_sdk_exceptions(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(
            model="claude-sonnet-4-6", messages=[{"role": "user", "content": "hi [error400]"}])
    assert "tool_use_id" in e.value.message
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-9-ultra", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4.1", temperature=3.5,
                                       messages=[{"role": "user", "content": "hi"}])


# --- The API reference's snippets, verbatim but for the host and the key. ---

QUICKSTART_CURL = """curl -X POST https://api.hexaclaw.com/v1/chat/completions \\
  -H "Authorization: Bearer hx_live_YOUR_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{
    "model": "claude-sonnet-4-6",
    "messages": [{"role": "user", "content": "Hello, world!"}]
  }'"""

QUICKSTART_PYTHON = """from openai import OpenAI

client = OpenAI(
    base_url="https://api.hexaclaw.com/v1",
    api_key="hx_live_YOUR_KEY",
)

response = client.chat.completions.create(
    model="claude-sonnet-4-6",
    messages=[{"role": "user", "content": "Hello, world!"}],
)
print(response.choices[0].message.content)
"""

QUICKSTART_TYPESCRIPT = """import OpenAI from "openai";

const client = new OpenAI({
  baseURL: "https://api.hexaclaw.com/v1",
  apiKey: "hx_live_YOUR_KEY",
});

const response = await client.chat.completions.create({
  model: "claude-sonnet-4-6",
  messages: [{ role: "user", content: "Hello, world!" }],
});
console.log(response.choices[0].message.content);
"""

STREAMING_CURL = """curl -X POST https://api.hexaclaw.com/v1/chat/completions \\
  -H "Authorization: Bearer hx_live_YOUR_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{
    "model": "gpt-4.1",
    "stream": true,
    "messages": [{"role": "user", "content": "Write a haiku about APIs"}]
  }'"""

SDK_PAGE_CURL = """curl https://api.hexaclaw.com/v1/chat/completions \\
  -H "Authorization: Bearer hx_live_YOUR_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"Hi"}]}'"""


def localize(snippet, gateway, key):
    return snippet.replace("https://api.hexaclaw.com", gateway.base).replace("hx_live_YOUR_KEY", key)


def run_shell(cmd):
    out = subprocess.run(["bash", "-c", cmd + " --silent --show-error"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("snippet", [QUICKSTART_CURL, SDK_PAGE_CURL], ids=["quickstart", "sdk-page"])
def test_reference_curl(gateway, key, snippet):
    v = json.loads(run_shell(localize(snippet, gateway, key)))
    assert v["choices"][0]["message"]["content"] == "Hello!"
    assert v["model"] == "claude-sonnet-4-6"


def test_reference_streaming_curl(gateway, key):
    body = run_shell(localize(STREAMING_CURL, gateway, key))
    data = [line[len("data: "):] for line in body.splitlines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == HELLO


def test_reference_python_sdk(gateway, key):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(localize(QUICKSTART_PYTHON, gateway, key), "quickstart.py", "exec"), {})
    assert out.getvalue() == "Hello!\n"


def test_reference_typescript_sdk(gateway, key):
    # tests/run installs the `openai` npm package into HEXACLAW_NODE_DIR when node is present.
    node = shutil.which("node")
    node_dir = os.environ.get("HEXACLAW_NODE_DIR", "")
    if node is None or not os.path.exists(os.path.join(node_dir, "node_modules", "openai")):
        pytest.skip("node or the `openai` npm package is not installed (HEXACLAW_NODE_DIR)")
    # The script lives next to node_modules so `import OpenAI from "openai"` resolves.
    script = os.path.join(node_dir, f"quickstart-{os.getpid()}.mjs")
    with open(script, "w") as f:
        f.write(localize(QUICKSTART_TYPESCRIPT, gateway, key))
    try:
        out = subprocess.run([node, script], capture_output=True, text=True, timeout=60)
    finally:
        os.remove(script)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Hello!\n"
