"""`/allow`, `/domains`, `/config`, `/model` and `/skills` (SPEC §12): daemon settings, through the same
ACP methods (and refusals) as any client."""

from goclaw_actors.brain.provider_selection import PROVIDER_NAMES
from goclaw_actors.chat_commands.env import CommandEnv
from goclaw_actors.chat_commands.lines import Command
from goclaw_actors.chat_commands.spec import CommandSpec, bullets, usage

ALLOW = "/allow <domain>"
DOMAINS = "/domains"
CONFIG = ("/config list", "/config set <key> <value>")
MODEL = "/model [list | set <provider/model>]"
SKILLS = "/skills [enable <name> | setup <name>]"


def allow(command: Command, env: CommandEnv) -> str:
    """Allow a domain for the web tools (policy.yaml, in force at once)."""
    if len(command.args) != 1:
        raise usage(ALLOW)
    return f"Allowed domain: {env.call('policy.domain.add', {'domain': command.args[0]})['domain']}"


def domains(command: Command, env: CommandEnv) -> str:
    """The domains the policy allows."""
    env.require_daemon_wide("domains")
    allowed = sorted(env.policy().domains)
    return bullets("Allowed domains:", allowed) if allowed else "No domains allowed."


def config(command: Command, env: CommandEnv) -> str:
    """The named API keys (masked), or set one."""
    if list(command.args) == ["list"]:
        keys = env.call("config.list", {})["api_keys"]
        return bullets("API keys:", [f"{name}: {value}" for name, value in keys.items()]) if keys \
            else "No API keys in config.yaml."
    if len(command.args) >= 3 and command.args[0].lower() == "set":
        result = env.call("config.set", {"key": command.args[1], "value": command.rest_after(2)})
        return f"Saved api_keys.{result['key']}"
    raise usage(*CONFIG)


def model(command: Command, env: CommandEnv) -> str:
    """The agent's model, the providers and each agent's model, or set the model (live)."""
    if not command.args:
        return f"Model of @{env.agent_id}: {env.model or 'none (no provider configured)'}"
    if list(command.args) == ["list"]:
        agents = env.call("agent.list", {})["agents"]
        return bullets("Providers: " + ", ".join(PROVIDER_NAMES) + "\nAgents:",
                       [f"@{a['agent_id']}: {a.get('provider') or 'auto'}{'/' + a['model'] if a.get('model') else ''}"
                        for a in agents])
    if len(command.args) == 2 and command.args[0].lower() == "set":
        provider, _, name = command.args[1].partition("/")
        result = env.call("config.model.set", {"provider": provider, "model": name})
        return f"Model set to {result['provider']}/{result['model']} (applied live)"
    raise usage(MODEL)


def skill_setup_hook(command: Command, env: CommandEnv) -> str:
    """`/skills setup <name>`: guided set-up of a skill. Wired by the skills work."""
    return "skill setup is not available yet"


def skills(command: Command, env: CommandEnv) -> str:
    """The skills and their state, re-enable a quarantined one, or set one up."""
    sub = command.args[0].lower() if command.args else ""
    if sub == "enable" and len(command.args) == 2:
        result = env.call("skill.enable", {"name": command.args[1]})
        return f"Skill {result['name']}: {result['state']}"
    if sub == "setup" and len(command.args) == 2:
        return skill_setup_hook(command, env)
    if command.args:
        raise usage(SKILLS)
    env.require_daemon_wide("skills")
    installed = env.skills()
    if not installed:
        return "No skills installed."
    return bullets("Skills:", [skill_line(item) for item in installed])


def skill_line(item: dict) -> str:
    """One skill of the status list (SPEC §8.2): name, type, state (or disabled), what it is missing."""
    info = item.get("Info") or {}
    state = item.get("State", "")
    shown = state if item.get("Enabled") or state != "active" else "disabled"
    missing = "; ".join(item.get("Missing") or [])
    return f"{info.get('Name', '?')}  [{info.get('Type', '?')}]  {shown}" + (f"  ({missing})" if missing else "")


SPECS = {
    "skills": CommandSpec(SKILLS, "the skills and their state", skills),
    "config": CommandSpec(" | ".join(CONFIG), "the named API keys (shown masked)", config),
    "model": CommandSpec(MODEL, "show or change the model, live", model),
    "allow": CommandSpec(ALLOW, "allow a domain for the web tools (policy.yaml)", allow),
    "domains": CommandSpec(DOMAINS, "the allowed domains", domains),
}
