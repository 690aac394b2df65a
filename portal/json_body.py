"""Reading an API request's JSON body within bounds, before the parser sees it.

Python's json module recurses once per nesting level, so a body of 100,000 '[' exhausts the
stack (a 500 for 100 KB). The body is read up to MAX_BYTES and its nesting measured on the raw
bytes first, in linear time; only then is it parsed.
"""
from __future__ import annotations

import json
import operator
import re
from itertools import accumulate, count

from flask import request

from portal import texts

# The longest valid report, every character of every field sent as a 12-byte escaped surrogate
# pair, is about 70 KB; nothing valid comes near this.
MAX_BYTES = 128 * 1024
MAX_DEPTH = 8  # a valid body nests 2 deep (the contact object inside the report)

# A JSON string, possibly unterminated (then it runs to the end): possessive, so it never
# backtracks, and a scan of the body stays linear whatever it holds.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))
_STEP = bytes.maketrans(b"[]{}", b"\x02\x00\x02\x00")  # opening +1, closing -1 (after -1 each)


class BodyRefused(ValueError):
    """The body cannot be read as one JSON value; `status` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def nesting(raw: bytes) -> int:
    """How deep arrays and objects nest in `raw`, brackets inside strings not counted; also
    right for bodies that are not JSON (an unclosed '[' still counts)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    if not brackets:
        return 0
    # depth after the i-th bracket = (2 × openings so far) − i; all in C, no Python loop.
    return max(map(operator.sub, accumulate(brackets.translate(_STEP)), count(1)))


def read_json_body() -> object:
    """The request's JSON value, or BodyRefused: 415 not JSON, 413 over MAX_BYTES (not read
    further), 400 nested deeper than MAX_DEPTH or not parseable."""
    if not request.is_json:
        raise BodyRefused("请以 application/json 提交。", 415)
    too_large = texts.JSON_TOO_LARGE.format(kb=MAX_BYTES // 1024)
    if (request.content_length or 0) > MAX_BYTES:
        raise BodyRefused(too_large, 413)
    raw = request.stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise BodyRefused(too_large, 413)
    if nesting(raw) > MAX_DEPTH:
        raise BodyRefused(texts.JSON_TOO_DEEP.format(depth=MAX_DEPTH))
    try:
        return json.loads(raw)  # UTF-8, -16 or -32, as RFC 8259 and Flask's get_json allow
    except ValueError as exc:
        raise BodyRefused("请求体不是有效的 JSON 对象（须为 UTF-8 编码）。") from exc
