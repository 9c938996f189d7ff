"""`/pin`, `/unpin`, `/pinned`, `/share`, `/unshare`, `/shared` (SPEC §6, §12): the agent's pins and what
it shares with other agents."""

from goclaw_actors.agent_memory.sharing import ALL, MEMORY, PIN, share_label, target_label
from goclaw_actors.chat_commands.env import CommandEnv
from goclaw_actors.chat_commands.lines import Command
from goclaw_actors.chat_commands.spec import CommandSpec, bullets, usage

PIN_USAGE = ("/pin <file>", "/pin text <label> <text>")
UNPIN = "/unpin <source>"
PINNED = "/pinned"
SHARE = "/share <key> | all | pin <src> with <agent>"
UNSHARE = "/unshare <key> | all | pin <src> from <agent>"
SHARED = "/shared"


def pin(command: Command, env: CommandEnv) -> str:
    """Pin a file (path relative to the workspace) or a labelled text into the agent's prompt."""
    if command.args and command.args[0].lower() == "text":
        if len(command.args) < 3:
            raise usage(*PIN_USAGE)
        result = env.call("pin.add", env.for_agent(label=command.args[1], text=command.rest_after(2)))
        return f"Pinned text: {result['source']} ({result['token_count']} tokens)"
    if not command.rest:
        raise usage(*PIN_USAGE)
    result = env.call("pin.add", env.for_agent(path=command.rest))
    return f"Pinned file: {result['source']} ({result['token_count']} tokens)"


def unpin(command: Command, env: CommandEnv) -> str:
    """Remove a pin, named by its source, path or name."""
    if not command.rest:
        raise usage(UNPIN)
    if env.call("pin.remove", env.for_agent(source=command.rest))["removed"]:
        return f"Unpinned: {command.rest}"
    return f"No pin {command.rest} for @{env.agent_id}."


def pinned(command: Command, env: CommandEnv) -> str:
    """The agent's pins with their token counts."""
    items = env.call("pin.list", env.for_agent())["items"]
    if not items:
        return f"Nothing pinned for @{env.agent_id}."
    return bullets(f"Pinned for @{env.agent_id} ({len(items)}):",
                   [f"{p['source']} ({p['pin_type']}{', shared' if p['shared'] else ''}) - {p['token_count']} tokens"
                    for p in items])


def _share_params(command: Command, word: str, form: str) -> dict[str, str]:
    """`<key> | all | pin <src> <word> <agent>` as share.add / share.remove params."""
    args = list(command.args)
    lowered = [arg.lower() for arg in args]
    if word not in lowered or lowered.index(word) != len(args) - 2:
        raise usage(form)
    what, target = args[:-2], args[-1].lstrip("@")
    if [w.lower() for w in what] == ["all"]:
        return {"share_type": ALL, "target_agent": target}
    if len(what) == 2 and what[0].lower() == "pin":
        return {"share_type": PIN, "item_key": what[1], "target_agent": target}
    if len(what) == 1:
        return {"share_type": MEMORY, "item_key": what[0], "target_agent": target}
    raise usage(form)


def share(command: Command, env: CommandEnv) -> str:
    """Share a memory key, a pin or everything with another agent (or `*`, every agent)."""
    params = _share_params(command, "with", SHARE)
    env.call("share.add", env.for_agent(**params))
    label = share_label(params["share_type"], params.get("item_key"))
    return f"Shared {label} of @{env.agent_id} with {target_label(params['target_agent'])}."


def unshare(command: Command, env: CommandEnv) -> str:
    """Stop a share."""
    params = _share_params(command, "from", UNSHARE)
    label = share_label(params["share_type"], params.get("item_key"))
    if env.call("share.remove", env.for_agent(**params))["removed"]:
        return f"Stopped sharing {label} with {target_label(params['target_agent'])}."
    return f"@{env.agent_id} does not share {label} with {target_label(params['target_agent'])}."


def shared(command: Command, env: CommandEnv) -> str:
    """What the agent shares, and what other agents share with it."""
    items = env.call("share.list", env.for_agent())["items"]
    given = [f"{share_label(s['share_type'], s['item_key'])} with {target_label(s['target_agent'])}"
             for s in items if s["source_agent"] == env.agent_id]
    received = [f"From @{s['source_agent']}: {share_label(s['share_type'], s['item_key'])}"
                for s in items if s["source_agent"] != env.agent_id]
    if not given and not received:
        return f"Nothing is shared by or with @{env.agent_id}."
    parts = []
    if given:
        parts.append(bullets(f"@{env.agent_id} shares:", given))
    if received:
        parts.append(bullets(f"Shared with @{env.agent_id}:", received))
    return "\n".join(parts)


SPECS = {
    "pin": CommandSpec(" | ".join(PIN_USAGE), "pin a file or a text into the agent's context", pin),
    "unpin": CommandSpec(UNPIN, "remove a pin", unpin),
    "pinned": CommandSpec(PINNED, "the agent's pins", pinned),
    "share": CommandSpec(SHARE, "share knowledge with another agent (* = every agent)", share),
    "unshare": CommandSpec(UNSHARE, "stop sharing", unshare),
    "shared": CommandSpec(SHARED, "what the agent shares and what is shared with it", shared),
}
