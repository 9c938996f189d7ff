"""Each pane of the dashboard rendered to rows of text for a given size (no terminal involved).

    rows = queue_rows(state, width=30, height=8)
"""

import functools
from typing import Any

from goclaw_actors.dashboard.agent_form import AgentForm
from goclaw_actors.dashboard.frame import Row
from goclaw_actors.dashboard.state import ChatEntry, DashboardState, event_summary
from goclaw_actors.dashboard.text_fit import cell_width, wrap
from goclaw_actors.http.acp.wire import model_label

KEY_HINTS = "Enter send · Tab agent · PgUp/PgDn scroll · Ctrl+A activity · Ctrl+N new agent · Ctrl+C quit"
QUEUE_STATES = ("QUEUED", "CLAIMED", "RUNNING", "RETRY WAIT", "DEAD_LETTER", "SUCCEEDED", "FAILED", "CANCELED")
TITLES = {"agents": "Agents", "queue": "Queue", "supervision": "Supervision", "events": "Events",
          "usage": "Tokens and cost"}
CHAT_STYLES = {"user": "user", "reply": "", "status": "dim", "info": "info", "error": "error", "activity": ""}


def title(text: str, width: int) -> Row:
    """A pane's title row: `─ Text ─────`."""
    return Row(f"─ {text} " + "─" * max(0, width - len(text) - 3), "title")


def flow(items: list[str], width: int, gap: str = "  ") -> list[str]:
    """`items` laid out left to right on as many lines as `width` needs, never split inside an item."""
    lines: list[str] = []
    for item in items:
        if lines and cell_width(lines[-1] + gap + item) <= width:
            lines[-1] += gap + item
        else:
            lines.append(item)
    return lines


def header_rows(state: DashboardState, width: int) -> list[Row]:
    """`GoClaw <version> | SQLite WAL | <n> workers | <bind_addr>`, then the active agent and model."""
    workers = sum(int(agent.get("worker_count") or 0) for agent in state.agents)
    first = f"GoClaw {state.version or '?'} | SQLite WAL | {workers} workers | {state.bind_addr}"
    if state.error:
        second = Row(f"! {state.error}", "error")
    else:
        session = state.session
        second = Row(f"agent @{state.active_agent} | model {model_label(state.agent(state.active_agent))} | "
                     f"session {session[:8]}", "subheader")
    return [Row(first, "header"), second]


def _entry_lines(entry: ChatEntry, width: int) -> list[Row]:
    return _wrapped_entry(entry.kind, entry.text, entry.agent, entry.done, width)


@functools.lru_cache(maxsize=2048)
def _wrapped_entry(kind: str, text: str, agent: str, done: bool, width: int) -> list[Row]:
    """The rows of one chat entry (cached: the screen is redrawn far more often than entries change)."""
    if kind == "user":
        text = f"you → @{agent}: {text}"
    elif kind == "reply":
        text = f"@{agent}: {text}" + ("" if done else " ▌")
    elif kind == "error":
        text = f"! {text}"
    return [Row(line, CHAT_STYLES[kind]) for line in wrap(text, width)]


def _last_rows(items: list, to_rows, needed: int) -> list[Row]:
    """The rows of the last items of `items` (each turned into rows by `to_rows`), at least `needed` of
    them when there are that many: older items are not even wrapped."""
    rows: list[Row] = []
    for item in reversed(items):
        rows[:0] = to_rows(item)
        if len(rows) >= needed:
            break
    return rows


def scrolled(rows: list[Row], height: int, scroll: int) -> tuple[list[Row], int]:
    """The `height` rows ending `scroll` rows before the last (clamped); returns them and the scroll used."""
    scroll = max(0, min(scroll, len(rows) - height))
    end = len(rows) - scroll
    shown = rows[max(0, end - height):end]
    if scroll and shown:
        shown[-1] = Row(f"-- {scroll} more lines below (PgDn) --", "dim")
    return shown, scroll


def chat_rows(state: DashboardState, width: int, height: int) -> list[Row]:
    """The chat history, wrapped, scrolled back `state.scroll` lines."""
    rows = _last_rows(state.chat, lambda entry: _entry_lines(entry, width), height + state.scroll + 1)
    if not rows:
        rows = [Row(line, "dim") for line in wrap("Type a message and press Enter; /help lists the commands.", width)]
    shown, state.scroll = scrolled(rows, height, state.scroll)
    return shown


def activity_rows(state: DashboardState, width: int, height: int) -> list[Row]:
    """The activity feed (Ctrl+A): task events, approvals and changes, newest last."""
    rows = _last_rows(list(state.activity), lambda text: _wrapped_entry("activity", text, "", True, width),
                      height + state.scroll + 1)
    shown, state.scroll = scrolled(rows or [Row("No activity yet.", "dim")], height - 1, state.scroll)
    return [title("Activity (Ctrl+A: back to the chat)", width)] + shown


def form_rows(form: AgentForm, width: int) -> list[Row]:
    """The new-agent form, one row per line (cut to the width, so the cursor row stays put)."""
    return [Row(text, "prompt" if current else "") for text, current in form.lines()]


def agents_rows(state: DashboardState, width: int, height: int) -> list[Row]:
    """Each agent: the active marker, busy lanes over lanes, and its model."""
    rows = [title(TITLES["agents"], width)]
    for agent in state.agents:
        marker = "▸" if agent["agent_id"] == state.active_agent else " "
        busy = f"{agent.get('active_tasks', 0)}/{agent.get('worker_count', 0)}"
        rows.append(Row(f"{marker} @{agent['agent_id']} {busy} {model_label(agent)}",
                        "active" if marker != " " else ""))
    return rows


def queue_rows(state: DashboardState, width: int, height: int) -> list[Row]:
    """Task counts by state (retry waits and the dead-letter queue included), then the latest tasks."""
    counts = {**state.queue, "RETRY WAIT": state.retry_waiting}
    rows = [title(TITLES["queue"], width)]
    items = [f"{name.lower().replace('_', ' ')} {counts.get(name, 0)}" for name in QUEUE_STATES]
    rows += [Row(line) for line in flow(items, width)]
    for task in state.tasks:
        retry = f" a{task['attempt']}" if task.get("attempt") else ""
        style = "error" if task["status"] in ("DEAD_LETTER", "FAILED") else ""
        agent = f"@{task['agent_id']} " if task.get("agent_id") else ""  # known once the panes refresh
        rows.append(Row(f"{task['id'][:8]} {agent}{task['status']}{retry}", style))
    return rows


def _tree_lines(node: dict[str, Any], depth: int, out: list[str], compact: bool) -> None:
    """The children of `node`, indented; `compact` keeps only supervisors and what is down or restarted."""
    children = node.get("children") or []
    workers = [child for child in children if str(child.get("id", "")).startswith("worker:")]
    for child in children:
        if child in workers:
            continue
        dead = not child.get("alive", True)
        if compact and not (child.get("strategy") or dead or child.get("restarts")):
            continue
        strategy = f" {child['strategy']}" if child.get("strategy") else ""
        out.append(f"{'  ' * depth}{child.get('id', '')}{strategy} ↻{child.get('restarts', 0)}{' DOWN' if dead else ''}")
        _tree_lines(child, depth + 1, out, compact)
    if workers:
        alive = sum(1 for worker in workers if worker.get("alive"))
        restarts = sum(int(worker.get("restarts") or 0) for worker in workers)
        out.append(f"{'  ' * depth}worker ×{len(workers)} alive {alive}/{len(workers)} ↻{restarts}")


def _tree_totals(node: dict[str, Any]) -> tuple[int, int, int]:
    """(actors, alive, restarts) under `node`: each supervisor's `restarts` counts the restarts it made."""
    actors, alive, restarts = 0, 0, int(node.get("restarts") or 0) if node.get("strategy") else 0
    for child in node.get("children") or []:
        below = _tree_totals(child)
        actors, alive, restarts = actors + 1 + below[0], alive + bool(child.get("alive")) + below[1], restarts + below[2]
    return actors, alive, restarts


def supervision_rows(state: DashboardState, width: int, height: int) -> list[Row]:
    """The live supervision tree with restart counts (↻): a summary line, then the tree (only its
    supervisors and any trouble when it does not fit); a lanes supervisor's workers on one line."""
    rows = [title(TITLES["supervision"], width)]
    tree = state.supervision
    if not tree:
        return rows + [Row("(not loaded yet)", "dim")]
    actors, alive, restarts = _tree_totals(tree)
    summary = Row(f"{alive}/{actors} alive · {restarts} restarts", "error" if alive < actors else "")
    lines = [f"{tree.get('name', 'root')} {tree.get('strategy', '')} ↻{tree.get('restarts', 0)}"]
    _tree_lines(tree, 1, lines, compact=False)
    if len(lines) > height - 2:
        lines = lines[:1]
        _tree_lines(tree, 1, lines, compact=True)
    return rows + [summary] + [Row(line) for line in lines]


def events_rows(state: DashboardState, width: int, height: int) -> list[Row]:
    """The latest task events of every session, newest last."""
    events = list(state.events)[-(max(0, height - 1)):] if height > 1 else []
    return [title(TITLES["events"], width)] + [Row(event_summary(event)) for event in events]


def _money(value: float) -> str:
    return f"${value:,.4f}"


def usage_rows(state: DashboardState, width: int, height: int) -> list[Row]:
    """Token and estimated cost totals, then per agent."""
    usage = state.usage
    rows = [title(TITLES["usage"], width),
            Row(f"tokens {usage.get('total_tokens', 0):,} (in {usage.get('prompt_tokens', 0):,} / "
                f"out {usage.get('completion_tokens', 0):,}) {_money(usage.get('estimated_cost_usd', 0.0))}")]
    for agent in usage.get("agents", []):
        rows.append(Row(f"  @{agent['agent_id']} {agent['total_tokens']:,} {_money(agent['estimated_cost_usd'])}"))
    return rows


SIDE_RENDERERS = {"agents": agents_rows, "queue": queue_rows, "supervision": supervision_rows,
                  "events": events_rows, "usage": usage_rows}


def notice_rows(state: DashboardState) -> list[Row]:
    """The approval waiting for y/n, else the latest notice."""
    approval = state.pending_approval()
    if approval is not None:
        more = f" (+{len(state.approvals) - 1} more)" if len(state.approvals) > 1 else ""
        details = f" {approval['details']}" if approval.get("details") else ""
        return [Row(f"Approve {approval.get('action', '')}?{details} [y]es / [n]o{more}", "prompt")]
    return [Row(state.notice, "dim")] if state.notice else []


def footer_rows() -> list[Row]:
    """The key hints."""
    return [Row(KEY_HINTS, "dim")]
