"""The config.yaml written on first run: the starter agents and the commented main settings."""

import yaml

from goclaw_actors.config.starter_agents import STARTER_AGENTS

HEADER = """\
# goclaw configuration. Precedence: environment variable > this file > built-in default.
# Uncomment a setting to change it; see the README for every key.
# worker_count: 16              # worker lanes of the default agent, at most 64 (<= 0 means 4)
# task_timeout_seconds: 600     # per-attempt limit of the default agent
# bind_addr: 127.0.0.1:18789    # HTTP listen address (needs a restart)
# log_level: info               # debug, info, warn, error
# max_queue_depth: 100          # queued-task cap of the default agent (0 = unlimited)
# drain_timeout_seconds: 5      # shutdown drain
# lease_seconds: 30             # task lease length
# engine_tick_seconds: 10       # lease heartbeat / cancel check interval
"""


def first_run_config() -> str:
    """The text of a fresh config.yaml (llm.provider empty: the provider is chosen automatically)."""
    body = yaml.safe_dump({"llm": {"provider": ""}, "agents": STARTER_AGENTS}, sort_keys=False,
                          allow_unicode=True, width=100)
    return HEADER + body
