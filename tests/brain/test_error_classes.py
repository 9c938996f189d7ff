"""Error classification of SPEC §4.5 by status and message."""

import pytest

from goclaw_actors.brain.error_classes import classify_error
from goclaw_actors.brain.providers.base import AUTH, BILLING, CONTEXT_OVERFLOW, RATE_LIMIT, TIMEOUT, UNKNOWN

CASES = [
    ("bad key", 401, AUTH),
    ("forbidden", 403, AUTH),
    ("Unauthorized request", None, AUTH),
    ("API key not valid. Please pass a valid API key.", 400, AUTH),
    ("slow down", 429, RATE_LIMIT),
    ("You exceeded your current quota, please check your plan and billing details", 429, RATE_LIMIT),
    ("Quota exceeded for metric", None, RATE_LIMIT),
    ("context deadline exceeded", None, TIMEOUT),
    ("Read timed out", None, TIMEOUT),
    ("upstream timeout", 500, TIMEOUT),
    ("billing hard limit reached", 400, BILLING),
    ("Payment required", 402, BILLING),
    ("context_length_exceeded", 400, CONTEXT_OVERFLOW),
    ("This model's maximum context length is 128000 tokens", 400, CONTEXT_OVERFLOW),
    ("input exceeds the context window", None, CONTEXT_OVERFLOW),
    ("request exceeds token limit", 429, CONTEXT_OVERFLOW),
    ("prompt is too long: 210000 tokens > 200000 maximum", 400, CONTEXT_OVERFLOW),
    ("Internal server error", 500, UNKNOWN),
    ("", None, UNKNOWN),
]


@pytest.mark.parametrize("message, status, expected", CASES)
def test_classify(message, status, expected):
    assert classify_error(message, status) == expected
