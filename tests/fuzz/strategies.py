"""What the fuzz tests feed the gateway: odd text, odd bodies, wrong content types.

Bounded on purpose (`FUZZ`): the whole folder must run in about a minute on two cores, so each
test draws a few dozen examples, not Hypothesis's default hundred (FUZZ_EXAMPLES raises it);
no example database is written (the checkout stays clean, and every run explores afresh).
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    # FUZZ_EXAMPLES=500 for a deeper run by hand; `make test` keeps the bounded default.
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Every code point, lone surrogates and control characters included, and the ones known to
# break things: NUL, a lone surrogate, right-to-left override, BOM, noncharacters, emoji + ZWJ.
_SPECIALS = ["\x00", "\ud800", "\udfff", "\u202e", "\ufeff", "\uffff", "👩‍👧", "\r\n", "\x1b[31m"]
odd_text = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=60),
    st.lists(st.sampled_from(_SPECIALS), max_size=6).map("".join),
    st.builds(lambda a, b: a + " bonjou " + b, st.sampled_from(_SPECIALS), st.text(max_size=10)),
    st.just("a" * 5000),
)

# Bytes that are not what they claim: invalid UTF-8, latin-1 text, truncated JSON, a BOM.
raw_bytes = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"\xff\xfe\x00",
            "text=café".encode("latin-1"),
            b'{"text": "caf\xe9"}',
            b'{"text": "\xed\xa0\x80"}',  # a surrogate in UTF-8: invalid
            b'{"text":',
            b"\xef\xbb\xbf{}",
            b"[" * 20_000,  # nesting deep enough to exhaust json's recursion limit
            b'{"text": ' * 5_000,
            b"Body=%FF%FE&From=whatsapp%3A%2B1",
            b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n',
        ]
    ),
)

content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-16",
        "multipart/form-data",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/xml",
        "",
    ]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | odd_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def encode_json(value: object) -> bytes:
    """JSON as a client may send it: lone surrogates escaped (\\ud800), so the bytes are
    valid JSON that decodes to a string no encoder can write back."""
    return json.dumps(value).encode()


# A body in one of the shapes a client may send: raw bytes, JSON, or a form.
bodies = st.one_of(
    raw_bytes,
    json_values.map(encode_json),
    st.dictionaries(st.text(max_size=10), odd_text, max_size=5).map(
        lambda form: "&".join(f"{k}={v}" for k, v in form.items()).encode("utf-8", "surrogatepass")
    ),
)
