"""What a YAML syntax error says without quoting the file: its problem and line/column only.

PyYAML's message shows the offending line, which in config.yaml or policy.yaml may hold a key; that
message would reach the log and the start-up failure line (SPEC §5.6, §13).
"""

import yaml


def yaml_error_text(exc: yaml.YAMLError) -> str:
    """`<problem> (line L, column C)`, without the snippet of the file PyYAML adds."""
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or "syntax error"
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return str(problem)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
