"""The Anthropic Messages API as users call it: the official `anthropic` Python SDK (which
authenticates with `x-api-key`) against `hexaclaw gateway run`. Claude requests pass through
to the (fake) Anthropic upstream unchanged but for the model id; other models are translated
both ways, so the same SDK reaches every provider."""
import json

import anthropic
import pytest

from conftest import platform_key

REFERENCE_SNIPPET = '''import anthropic

client = anthropic.Anthropic(
    base_url="https://api.hexaclaw.com/v1",
    api_key="hx_live_YOUR_KEY",
)

message = client.messages.create(
    model="claude-sonnet-4-6",
    max_tokens=1024,
    messages=[{"role": "user", "content": "Explain quantum computing"}],
)
print(message.content[0].text)
'''

TOOLS = [{"name": "get_weather", "description": "Current weather for a place",
          "input_schema": {"type": "object", "properties": {"location": {"type": "string"}},
                           "required": ["location"]}}]


@pytest.fixture(scope="module")
def key(gateway):
    return gateway.new_account(credits=1000)[1]


def sdk(gateway, key):
    # As the API reference writes it: base_url ends in /v1, and the SDK appends /v1/messages,
    # so the gateway serves /v1/v1/messages too.
    return anthropic.Anthropic(base_url=gateway.base + "/v1", api_key=key, max_retries=0)


def upstream_calls(gateway, path="/v1/messages"):
    return [r for r in gateway.fake.requests() if r["path"] == path]


def test_reference_snippet_verbatim(gateway, key, capsys):
    gateway.fake.reset()
    code = REFERENCE_SNIPPET.replace("https://api.hexaclaw.com", gateway.base).replace(
        "hx_live_YOUR_KEY", key)
    exec(compile(code, "reference_anthropic.py", "exec"), {})
    assert capsys.readouterr().out == "Hello!\n"
    calls = upstream_calls(gateway)
    assert len(calls) == 1
    # The SDK's x-api-key was ours; upstream got the platform key, never ours.
    assert calls[0]["headers"]["x-api-key"] == platform_key("anthropic")
    assert key not in json.dumps(calls[0])


def test_passthrough_keeps_everything_but_the_model_id(gateway, key):
    gateway.fake.reset()
    client = sdk(gateway, key)
    raw = client.messages.with_raw_response.create(
        model="claude-sonnet",  # alias
        max_tokens=2048,
        system=[{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "Hello"}],
        extra_headers={"anthropic-beta": "prompt-caching-2024-07-31"},
    )
    msg = raw.parse()
    assert msg.content[0].text == "Hello!"
    assert raw.headers["x-model-requested"] == "claude-sonnet"
    assert raw.headers["x-model-used"] == "claude-sonnet-4-6"
    sent = upstream_calls(gateway)[0]
    body = json.loads(sent["body"])
    assert body["model"] == "claude-sonnet-4-6"
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert sent["headers"]["anthropic-beta"] == "prompt-caching-2024-07-31"
    # The SDK's own anthropic-version is forwarded as sent.
    assert sent["headers"]["anthropic-version"] == raw.http_request.headers["anthropic-version"]
    # Billed on the fixture's usage: 12 in, 6 out at 390 / 1,950 credits per 1M.
    gen = json.loads(gateway.http("GET", f"/v1/generation?id={raw.headers['x-generation-id']}",
                                  key=key)[2])
    assert (gen["prompt_tokens"], gen["completion_tokens"]) == (12, 6)
    assert gen["cost_micros"] == 12 * 390 + 6 * 1950


def test_streaming_with_messages_stream(gateway, key):
    gateway.fake.reset()
    client = sdk(gateway, key)
    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=256,
                                messages=[{"role": "user", "content": "Hello"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello!"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 15


def test_streamed_bytes_are_anthropics(gateway, key):
    # The native SSE sequence reaches the client unchanged (ping events included).
    gateway.fake.reset()
    status, _, body = gateway.http(
        "POST", "/v1/messages",
        body={"model": "claude-sonnet-4-6", "max_tokens": 64, "stream": True,
              "messages": [{"role": "user", "content": "Hello"}]},
        headers={"x-api-key": key, "anthropic-version": "2023-06-01"})
    assert status == 200
    import pathlib
    fixture = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "anthropic" / "stream.sse"
    assert body.decode() == fixture.read_text()


def test_tool_use(gateway, key):
    client = sdk(gateway, key)
    msg = client.messages.create(model="claude-sonnet-4-6", max_tokens=512, tools=TOOLS,
                                 messages=[{"role": "user", "content": "[tool] weather in Paris?"}])
    assert msg.stop_reason == "tool_use"
    uses = [b for b in msg.content if b.type == "tool_use"]
    assert uses and isinstance(uses[0].input, dict)


@pytest.mark.parametrize("model,text", [
    ("gpt-4.1", "Hello! How can I assist you today?"),
    ("gemini-2.5-flash", "Paris\n"),
    ("llama-3.3-70b-versatile", "The answer is 4."),
])
def test_other_models_through_the_anthropic_sdk(gateway, key, model, text):
    client = sdk(gateway, key)
    msg = client.messages.create(model=model, max_tokens=256,
                                 messages=[{"role": "user", "content": "Hello"}])
    assert msg.type == "message" and msg.role == "assistant"
    assert msg.content[0].type == "text" and msg.content[0].text == text
    assert msg.model == model
    assert msg.usage.input_tokens > 0
    with client.messages.stream(model=model, max_tokens=256,
                                messages=[{"role": "user", "content": "Hello"}]) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert streamed.strip() != ""
    assert final.stop_reason in ("end_turn", "max_tokens")


def test_tool_use_translated_for_openai(gateway, key):
    client = sdk(gateway, key)
    msg = client.messages.create(model="gpt-4.1", max_tokens=512, tools=TOOLS,
                                 messages=[{"role": "user", "content": "[tool] weather?"}])
    assert msg.stop_reason == "tool_use"
    use = next(b for b in msg.content if b.type == "tool_use")
    assert isinstance(use.input, dict) and use.name


def test_errors(gateway, key):
    client = sdk(gateway, key)
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=gateway.base + "/v1", api_key="hx_live_" + "C" * 40,
                            max_retries=0).messages.create(
            model="claude-sonnet-4-6", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.NotFoundError):
        client.messages.create(model="claude-99", max_tokens=10,
                               messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=[])
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(model="claude-sonnet-4-6", max_tokens=10,
                               messages=[{"role": "user", "content": "[error429]"}])
