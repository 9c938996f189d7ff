"""`telemetry.*` settings, the traceparent a task row carries, and the names the spans use (SPEC §2.3, §11.3)."""

import uuid

import pytest
from opentelemetry.sdk.trace.sampling import Decision, TraceIdRatioBased

from goclaw_actors.config.loader import config_from_data
from goclaw_actors.errors import ConfigError
from goclaw_actors.telemetry.genai_spans import TOOL_ERROR_PREFIX
from goclaw_actors.telemetry.semconv import gen_ai_provider
from goclaw_actors.telemetry.settings import TelemetrySettings, telemetry_settings
from goclaw_actors.telemetry.task_traces import TaskIdRatio
from goclaw_actors.telemetry.trace_context import (format_traceparent, parse_traceparent, task_trace_id,
                                                   trace_id_of)
from goclaw_actors.tools.guarded_call import error_text


def settings(**telemetry):
    return telemetry_settings(config_from_data({"telemetry": telemetry}, {}))


def test_defaults_are_spec_defaults_and_off():
    assert settings() == TelemetrySettings(False, "otlp-http", "http://localhost:4318", "goclaw", 1.0, True)
    assert settings().signal_url("traces") == "http://localhost:4318/v1/traces"


@pytest.mark.parametrize("endpoint, traces", [
    ("collector:4318", "http://collector:4318/v1/traces"),
    ("https://otel.example.com", "https://otel.example.com/v1/traces"),
    ("http://127.0.0.1:9999/otlp/", "http://127.0.0.1:9999/otlp/v1/traces"),
])
def test_the_endpoint_is_a_base_url(endpoint, traces):
    assert settings(endpoint=endpoint).signal_url("traces") == traces


@pytest.mark.parametrize("telemetry, message", [
    ({"exporter": "kafka"}, "telemetry.exporter must be one of otlp-http, stdout, none"),
    ({"exporter": None}, "telemetry.exporter must be one of"),
    ({"enabled": "yes"}, "telemetry.enabled must be true or false"),
    ({"metrics_enabled": 1}, "telemetry.metrics_enabled must be true or false"),
    ({"endpoint": "ftp://collector"}, "telemetry.endpoint must be an http(s) URL"),
    ({"endpoint": "collector:99999"}, "telemetry.endpoint must be an http(s) URL"),
    ({"endpoint": "http://collector:4318/?x=1"}, "telemetry.endpoint must be an http(s) URL"),
    ({"endpoint": 4318}, "telemetry.endpoint must be a string"),
    ({"service_name": "  "}, "telemetry.service_name must not be empty"),
    ({"service_name": "a\x00b"}, "telemetry.service_name must not contain control characters"),
])
def test_bad_settings_name_the_key(telemetry, message):
    with pytest.raises(ConfigError) as info:
        settings(**{"enabled": True, **telemetry})
    assert message in str(info.value)


def test_sample_rate_is_bounded_with_the_other_numbers():
    assert settings(sample_rate="0.25").sample_rate == 0.25
    with pytest.raises(ConfigError, match="telemetry.sample_rate must be at most 1"):
        settings(sample_rate=1.5)


def test_traceparent_round_trip_and_refusals():
    text = format_traceparent(0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, 1)
    assert text == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert parse_traceparent(text) == (0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, 1)
    assert trace_id_of(text) == "0af7651916cd43dd8448eb211c80319c" and trace_id_of(None) is None
    for bad in (None, "", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                "00-00000000000000000000000000000000-b7ad6b7169203331-01", "00-abc-def-01", 42):
        assert parse_traceparent(bad) is None


def test_a_task_outside_any_trace_is_traced_under_its_own_id():
    assert task_trace_id("6f1c1f0e-8c1d-4f43-9f3e-2b0c3b1f9a10") == 0x6F1C1F0E8C1D4F439F3E2B0C3B1F9A10
    assert task_trace_id("not-a-uuid") == 0


def test_ratio_sampling_keeps_its_share_of_task_ids_and_random_ids():
    def kept(sampler, ids):
        return sum(sampler.should_sample(None, trace_id, "x").decision == Decision.RECORD_AND_SAMPLE
                   for trace_id in ids)
    task_ids = [uuid.uuid4().int for _ in range(4000)]
    random_ids = [int.from_bytes(uuid.uuid4().bytes[::-1], "big") for _ in range(4000)]
    assert kept(TraceIdRatioBased(0.5), task_ids) == 0  # the skew of a UUID's fixed variant bits
    for ids in (task_ids, random_ids):
        assert 1700 < kept(TaskIdRatio(0.5), ids) < 2300
        assert kept(TaskIdRatio(0.0), ids) == 0 and kept(TaskIdRatio(1.0), ids) == 4000


def test_names_the_spans_rely_on():
    assert error_text("boom").startswith(TOOL_ERROR_PREFIX)  # a failed tool call marks its span failed
    assert (gen_ai_provider("google"), gen_ai_provider("anthropic"), gen_ai_provider("ollama")) == (
        "gcp.gemini", "anthropic", "ollama")
