"""The one parser of chat lines (SPEC §7.1, §12): commands, @mentions, and where each line goes."""

from goclaw_actors.chat_commands.lines import Command, Mention, Text, parse_line
from goclaw_actors.chat_commands.routing import Route, conversation_target, route_line
from goclaw_actors.chat_commands.table import COMMANDS, unknown_command_text

AGENTS = ["default", "coder", "researcher"]


def known():
    return AGENTS


def test_lines_are_commands_mentions_or_text():
    assert parse_line("  /Memory search  big cats ") == Command("memory", ("search", "big", "cats"), "search  big cats",
                                                                "Memory")
    assert parse_line("/agent new scout").name == "agents"
    assert parse_line("@coder write a haiku") == Mention("coder", "write a haiku")
    assert parse_line("@@researcher find  it ") == Mention("researcher", "find  it")
    assert parse_line("@coder") == Mention("coder")
    assert parse_line("@my_agent.v2 go") == Mention("my_agent.v2", "go")  # config ids may hold _ and .
    for line in ("hello @coder", "@ coder", "@", "@coder, hi", "mail me@coder", "/", "/ x", "@-x y"):
        assert isinstance(parse_line(line), Text), line
    assert parse_line("/@coder").name == "@coder"  # a line starting with / is a command, never a mention


def test_rest_after_keeps_the_text_as_typed():
    command = parse_line("/agents new scout You look  around.")
    assert command.args[:2] == ("new", "scout") and command.rest_after(2) == "You look  around."
    assert parse_line("/remember k  two  words").rest_after(1) == "two  words"


def test_a_mention_routes_the_message_and_sticks():
    assert route_line("@coder fix it", "default", known) == Route("coder", "fix it", sticky="coder")
    assert route_line("@@coder fix it", "researcher", known) == Route("coder", "fix it", sticky="coder")
    assert route_line("plain text", "coder", known) == Route("coder", "plain text")


def test_a_mention_alone_switches_as_a_command_of_that_agent():
    assert route_line("@researcher", "default", known) == Route("researcher", "@researcher", True, "researcher")
    assert route_line("/agents coder", "default", known) == Route("coder", "/agents coder", True, "coder")
    assert route_line("/agent @coder", "default", known) == Route("coder", "/agent @coder", True, "coder")


def test_unknown_agents_and_commands_are_answered_by_the_current_agent():
    assert route_line("@ghost hi", "coder", known) == Route("coder", "@ghost hi", True)
    assert route_line("/agents ghost", "coder", known) == Route("coder", "/agents ghost", True)
    assert route_line("/memory list", "coder", known) == Route("coder", "/memory list", True)
    assert route_line("@coder /memory list", "default", known) == Route("coder", "/memory list", True, "coder")


def test_known_agents_are_read_only_for_lines_that_may_mention_one():
    calls = []

    def counting():
        calls.append(1)
        return AGENTS

    route_line("hello", "default", counting)
    route_line("/memory", "default", counting)
    assert not calls
    route_line("@coder hi", "default", counting)
    assert calls


def test_the_sticky_target_of_a_conversation_follows_its_mentions():
    lines = ["hi", "@coder look", "more", "@ghost x", "/memory", "@researcher", "and then"]
    assert conversation_target(lines, "default", known) == "researcher"
    assert conversation_target(["hello"], "coder", known) == "coder"
    assert conversation_target(["/agents coder"], "default", known) == "coder"


def test_the_command_table_covers_the_spec():
    for name in ("help", "agents", "skills", "config", "model", "allow", "domains", "plan", "plans", "memory",
                 "remember", "forget", "clear", "pin", "unpin", "pinned", "share", "unshare", "shared", "context"):
        assert name in COMMANDS, name
    assert unknown_command_text("frob") == "Unknown command: /frob (type /help for available commands)"
