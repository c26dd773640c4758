"""A real HTTP server speaking the OpenAI Chat Completions wire protocol, playing scripted answers.

Each POST to ``/v1/chat/completions`` takes the next item of the script: a completion body (built with
:func:`tool_calls` or :func:`text`), an HTTP error status, or a delay longer than the client's
timeout. Every request body is kept in ``requests`` so tests can check what the agent sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: ``status`` with ``body``, after ``delay`` seconds."""

    body: dict[str, Any] | None = None
    status: int = 200
    delay: float = 0.0
    raw: str | None = None


@dataclass
class ScriptedServer:
    """The server's script and what it received."""

    script: list[Reply]
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


def _completion(message: dict[str, Any], finish: str, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": 1_790_000_000,
        "model": "scripted",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def tool_calls(
    *calls: tuple[str, dict[str, Any] | str], prompt_tokens: int = 120, completion_tokens: int = 30
) -> Reply:
    """An assistant message calling tools; arguments may be a dict or a raw (possibly malformed) string."""
    items = [
        {
            "id": f"call_{i}_{time.monotonic_ns()}",
            "type": "function",
            "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
        }
        for i, (name, args) in enumerate(calls)
    ]
    return Reply(
        _completion(
            {"role": "assistant", "content": None, "tool_calls": items}, "tool_calls", prompt_tokens, completion_tokens
        )
    )


def text(content: str, prompt_tokens: int = 150, completion_tokens: int = 20) -> Reply:
    """A final assistant text message."""
    return Reply(_completion({"role": "assistant", "content": content}, "stop", prompt_tokens, completion_tokens))


def error(status: int, message: str = "scripted error") -> Reply:
    """An HTTP error with OpenAI's error body."""
    return Reply(
        {
            "error": {
                "message": message,
                "type": "server_error" if status >= 500 else "rate_limit_exceeded",
                "code": None,
            }
        },
        status=status,
    )


def slow(seconds: float) -> Reply:
    """An answer that comes too late."""
    return Reply(text("too late").body, delay=seconds)


@contextmanager
def serve(script: list[Reply]) -> Iterator[ScriptedServer]:
    """Run the server on a free loopback port for the duration of the block."""
    state = ScriptedServer(script=list(script))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(json.loads(self.rfile.read(length) or b"{}"))
            reply = state.script.pop(0) if state.script else error(500, "script exhausted")
            if reply.delay:
                time.sleep(reply.delay)
            payload = (reply.raw or json.dumps(reply.body)).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if reply.status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
