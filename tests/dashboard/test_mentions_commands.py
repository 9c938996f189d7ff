"""@mention routing (SPEC §7.1) and the slash-command table and parser (SPEC §12)."""

from goclaw_actors.dashboard.commands import COMMANDS, DAEMON, LOCAL, help_lines, parse_command, unknown_command_text
from goclaw_actors.dashboard.mentions import Mention, route_mention

AGENTS = ["default", "coder", "researcher"]


def test_a_mention_with_a_message_routes_it():
    assert route_mention("@coder write a haiku", AGENTS) == Mention("coder", "write a haiku")
    assert route_mention("@@researcher find  it ", AGENTS) == Mention("researcher", "find  it")


def test_a_mention_alone_only_switches():
    mention = route_mention("@coder", AGENTS)
    assert mention.switch_only and mention.agent == "coder"
    assert route_mention("@@coder  ", AGENTS).switch_only


def test_an_unknown_agent_is_answered_with_the_ordered_list():
    assert route_mention("@nope hi", AGENTS).error == "Unknown agent: @nope. Available: @default, @coder, @researcher"
    assert route_mention("@nope", ["default"]).error == "Unknown agent: @nope. Available: @default"


def test_lines_without_a_mention_are_not_routed():
    for line in ("hello @coder", "@ coder", "@", "/agent coder", "@coder, hi", "@bad- x", "mail me@coder"):
        assert route_mention(line, AGENTS) is None, line


def test_commands_parse_with_aliases_and_the_rest_as_typed():
    command = parse_command("/agents new scout You look  around.")
    assert (command.name, command.args[:2], command.rest_after(2)) == ("agent", ["new", "scout"], "You look  around.")
    assert parse_command("/EXIT").name == "quit"
    assert parse_command("/config set brave  k-1 2").rest_after(2) == "k-1 2"
    assert parse_command("hello") is None and parse_command("/") is None


def test_unknown_commands_have_the_spec_text():
    command = parse_command("/frobnicate now")
    assert not command.known
    assert unknown_command_text(command) == "Unknown command: /frobnicate (type /help for available commands)"


def test_commands_the_daemon_parses_are_passed_on():
    assert parse_command("/memory list").handler == DAEMON
    assert parse_command("/context").handler == DAEMON
    assert parse_command("/agent team researcher writer").handler == DAEMON
    assert parse_command("/skills setup brave").handler == DAEMON
    assert parse_command("/agent coder").handler == LOCAL
    assert parse_command("/skills").handler == LOCAL


def test_help_lists_every_command_of_the_spec():
    text = "\n".join(help_lines())
    for name in ("/help", "/quit", "/exit", "/allow", "/domains", "/session", "/agent", "/skills", "/config",
                 "/model", "/plan <name>", "/plans", "/memory", "/remember", "/forget", "/clear", "/pin",
                 "/unpin", "/pinned", "/share", "/unshare", "/shared", "/context"):
        assert name in text, name
    assert len(COMMANDS) == 22
