"""`/agents` (SPEC §12) and the answers to @mentions that carry no message (SPEC §7.1): list, create, remove
and switch agents; agent teams are a hook until they exist."""

from goclaw_actors.chat_commands.env import CommandEnv, CommandFailed
from goclaw_actors.chat_commands.lines import Command
from goclaw_actors.chat_commands.routing import switch_target
from goclaw_actors.chat_commands.spec import CommandSpec, bullets, usage
from goclaw_actors.http.acp.wire import model_label
from goclaw_actors.teams.team_command import team_reply

AGENTS = "/agents [list | new <id> [soul] | remove <id> | team <roles…> | <id>]"
TEAM_ROLES = ("researcher", "writer", "critic", "coder", "reviewer", "tester", "planner", "editor", "analyst",
              "designer")


def unknown_agent_text(agent: str, known: list[str]) -> str:
    """`Unknown agent: @x. Available: @a, @b` (SPEC §7.1)."""
    return f"Unknown agent: @{agent}. Available: {', '.join('@' + name for name in known)}"


def switch_reply(agent: str, env: CommandEnv) -> str:
    """The answer to `@agent` alone or `/agents <agent>`: the routing sent the line to `agent` when it could
    be addressed (it is then this task's agent); otherwise the agent is unknown to this caller."""
    if agent == env.agent_id:
        return f"Now talking to @{agent}."
    return unknown_agent_text(agent, env.agent_ids())


def team(command: Command, env: CommandEnv) -> str:
    """`/agents team <roles…>` (SPEC §12): the current agent leads a team of role agents (created when missing),
    through ACP `agent.team.create`; its later tasks fan work out to them and gather their results."""
    created = env.call("agent.team.create", {"roles": command.rest_after(1), "lead_agent": env.agent_id})
    return team_reply(created)


def _list(env: CommandEnv) -> str:
    agents = env.call("agent.list", {})["agents"]
    lines = []
    for agent in agents:
        model = model_label(agent)
        marker = "▸ " if agent["agent_id"] == env.agent_id else ""
        name = agent.get("display_name") or ""
        lines.append(f"{marker}@{agent['agent_id']}{'  ' + name if name and name != agent['agent_id'] else ''}"
                     f"  {model}  workers {agent.get('worker_count')}  active {agent.get('active_tasks', 0)}")
    return bullets(f"Agents ({len(agents)}, ▸ = this conversation's):", lines)


def _create(command: Command, env: CommandEnv) -> str:
    params = {"agent_id": command.args[1]}
    soul = command.rest_after(2)
    if soul:
        params["soul"] = soul
    created = env.call("agent.create", params)["agent_id"]
    return f"Created agent @{created}. Talk to it with @{created}."


def _remove(command: Command, env: CommandEnv) -> str:
    target = command.args[1].lstrip("@")
    if target == env.agent_id:
        raise CommandFailed(f"Cannot remove @{target} while talking to it; switch to another agent first.")
    env.call("agent.remove", {"agent_id": target})
    return f"Removed agent @{target}."


def agents(command: Command, env: CommandEnv) -> str:
    """List the agents, create or remove one, build a team, or switch to `<id>`."""
    sub = command.args[0].lower() if command.args else "list"
    if sub == "list" and len(command.args) <= 1:
        return _list(env)
    if sub == "new" and len(command.args) >= 2:
        return _create(command, env)
    if sub == "remove" and len(command.args) == 2:
        return _remove(command, env)
    if sub == "team" and len(command.args) >= 2:
        return team(command, env)
    target = switch_target(command)
    if target is not None:
        return switch_reply(target, env)
    raise usage(AGENTS)


SPECS = {"agents": CommandSpec(AGENTS, "list, create, remove or switch agents (also /agent)", agents)}
