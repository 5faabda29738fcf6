"""A JSON body, read from whatever a client sent, or one exception that means "answer 400".

Why not FastAPI's `Body()`: for a body that is not JSON its validation error quotes the raw
bytes, and encoding those bytes (invalid UTF-8) raises inside FastAPI, a 500. And
`json.loads` raises three ways on hostile input: invalid JSON, invalid UTF-8 and nesting deep
enough to exhaust the recursion limit ("[[[[..."), each of which is the sender's mistake.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request


class NotJson(ValueError):
    """The body is not a JSON document; no part of it is quoted."""


async def json_body(request: Request) -> Any:
    """The decoded JSON (UTF-8, -16 or -32, as RFC 8259 allows); raises NotJson."""
    try:
        return json.loads(await request.body())
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise NotJson("the body is not valid JSON") from error
