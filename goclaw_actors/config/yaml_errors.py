"""What a YAML syntax error says without quoting the file: its context, its problem and their lines and
columns only.

PyYAML's message shows the offending line, which in config.yaml or policy.yaml may hold a key; that
message would reach the log and the start-up failure line (SPEC §5.6, §13).
"""

import yaml


def _at(mark) -> str:
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""


def yaml_error_text(exc: yaml.YAMLError) -> str:
    """`<context> (line L, column C): <problem> (line L, column C)`, without the snippets PyYAML adds."""
    parts = [f"{text}{_at(getattr(exc, name + '_mark', None))}"
             for name in ("context", "problem") if (text := getattr(exc, name, None))]
    return ": ".join(parts) or "syntax error"
