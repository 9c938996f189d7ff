"""`/plan`, `/plans`, `/clear` and `/context` (SPEC §6, §7.4, §12): this conversation's plans, history and
context budget."""

from goclaw_actors.agent_memory.context_budget import budget_text
from goclaw_actors.chat_commands.env import CommandEnv
from goclaw_actors.chat_commands.lines import Command
from goclaw_actors.chat_commands.spec import CommandSpec, bullets, usage

PLAN = "/plan <name>"


def plan(command: Command, env: CommandEnv) -> str:
    """Run a configured plan in this session."""
    if len(command.args) != 1:
        raise usage(PLAN)
    result = env.call("plan.execute", {"name": command.args[0], "session_id": env.session_id})
    return f"Plan {result['plan_name']} started: execution {result['execution_id']}"


def plans(command: Command, env: CommandEnv) -> str:
    """The configured plans with their steps and agents."""
    configured = env.call("plan.list", {})["plans"]
    if not configured:
        return "No plans configured."
    return bullets("Plans:", [f"{p['name']}  {p['step_count']} steps  {', '.join('@' + a for a in p['agent_ids'])}"
                              for p in configured])


def clear(command: Command, env: CommandEnv) -> str:
    """Archive this conversation's history with the agent: later turns start afresh."""
    archived = env.clear_history()
    return f"Conversation history with @{env.agent_id} cleared ({archived} messages archived)."


def context(command: Command, env: CommandEnv) -> str:
    """The context budget of this conversation with the agent."""
    budget = env.call("context.show", {"session_id": env.session_id, "agent_id": env.agent_id})
    model = "/".join(part for part in (budget.get("provider"), budget.get("model")) if part)
    return budget_text(env.agent_id, model, budget)


SPECS = {
    "plan": CommandSpec(PLAN, "run a configured plan in this session", plan),
    "plans": CommandSpec("/plans", "the configured plans", plans),
    "clear": CommandSpec("/clear", "clear this conversation's history with the agent", clear),
    "context": CommandSpec("/context", "the context budget: tokens per part against the model's limit", context),
}
