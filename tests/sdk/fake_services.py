"""A fake OpenAI (embeddings, speech, transcriptions) and Gemini (batchEmbedContents) for the SDK
suite: a threaded http.server on a free loopback port, answering with the documented bodies in
tests/fixtures and recording what it received."""
import email.parser
import email.policy
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")
AUDIO_CHUNKS = [b"ID3\x04sdk-fake-audio-1|", b"chunk-2|", b"chunk-3-end"]
TRANSCRIPT = "Silence, transcribed by the fake."


def fixture(rel):
    with open(os.path.join(FIXTURES, rel), "rb") as f:
        return f.read()


def parse_multipart(content_type, body):
    """Fields of a multipart/form-data body: name -> (filename, content type, bytes)."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    out = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        out[name] = (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
    return out


class FakeServices:
    def __init__(self):
        self.seen = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                fake.seen.append((self.path, self.headers, body))
                if self.path == "/v1/embeddings":
                    req = json.loads(body)
                    name = "embeddings_response_base64.json" if req.get("encoding_format") == "base64" else "embeddings_response.json"
                    return self.send(200, "application/json", fixture("openai/" + name))
                if self.path.endswith(":batchEmbedContents"):
                    return self.send(200, "application/json", fixture("gemini/batch_embed_response.json"))
                if self.path == "/v1/audio/speech":
                    return self.stream_audio()
                if self.path == "/v1/audio/transcriptions":
                    fields = parse_multipart(self.headers["Content-Type"], body)
                    fmt = (fields.get("response_format") or (None, None, b"json"))[2].decode()
                    if fmt in ("text", "srt", "vtt"):
                        return self.send(200, "text/plain; charset=utf-8", (TRANSCRIPT + "\n").encode())
                    return self.send(200, "application/json", json.dumps({"text": TRANSCRIPT}).encode())
                self.send(404, "application/json", b'{"error":{"message":"no such fake route"}}')

            def send(self, status, ctype, data):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def stream_audio(self):
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for c in AUDIO_CHUNKS:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
                    self.wfile.flush()
                    time.sleep(0.05)
                self.wfile.write(b"0\r\n\r\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def requests_to(self, suffix):
        return [s for s in self.seen if s[0].endswith(suffix)]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
