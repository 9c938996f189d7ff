"""Chat commands and @mentions through the daemon's chat surfaces (SPEC §7.1, §12): each command's answer,
commands run without the model and stay out of the history, where a line goes and what sticks, over ACP and
/v1, and the caller's API-key scope."""

import json

import requests

from goclaw_actors.agent_memory.core_memory import after_turn
from tests.gateway.chat_fixtures import Chat, chat, daemon, system_prompts  # noqa: F401 (fixtures)
from tests.gateway.rest_fixtures import AUTH

DAEMON_CONFIG = """gateway:
  auth:
    enabled: true
    keys:
      - key: scoped-key-0123
        agent_ids: [default, writer]
"""


def test_memory_commands_answer_without_the_model(daemon, chat):
    api, server = daemon
    asked = len(server.seen)
    answers = [chat.reply(line) for line in (
        "/remember lang Go", "/remember editor neovim with plugins", "/memory", "/memory search VIM",
        "/memory search rust", "/forget lang", "/forget lang", "/memory delete editor", "/memory clear",
        "/memory list", "/remember onlykey", "/memory frob", "/forget")]
    assert answers == [
        "Remembered: lang = Go",
        "Remembered: editor = neovim with plugins",
        "Core memory of @default (2):\n  • editor: neovim with plugins [relevance 1.00, used 0×]\n"
        "  • lang: Go [relevance 1.00, used 0×]",
        "Memories of @default matching 'VIM':\n  • editor: neovim with plugins [relevance 1.00, used 0×]",
        "No memories of @default match 'rust'.",
        "Forgot: lang",
        "No memory named lang for @default.",
        "Forgot: editor",
        "Cleared 0 memories of @default.",
        "No memories stored for @default.",
        "Usage: /remember <key> <value>",
        "Usage: /memory [list | search <q> | delete <key> | clear]",
        "Usage: /forget <key>",
    ]
    assert len(server.seen) == asked  # no command reached the model
    history = chat.acp.call("session.history", {"session_id": chat.session_id})["items"]
    assert history == []  # nor the conversation
    tasks = api.get("/api/tasks?limit=13").json()["tasks"]
    assert {task["type"] for task in tasks} == {"command"}


def test_remembered_facts_are_in_the_next_prompt_and_reinforced(daemon, chat):
    api, server = daemon
    chat.reply("/remember lang Go")
    assert chat.reply("hello") == "DEFAULT heard: hello"
    prompt = system_prompts(server)[-1]
    assert prompt.startswith("DEFAULT answers.\n\n<core_memory>\nlang: Go\n")
    assert "\n(core memory: 8 of 4000 characters used)\n</core_memory>" in prompt
    chat.reply("again")
    listed = chat.acp.call("memory.list", {})["items"]
    assert listed[0]["relevance_score"] == after_turn(after_turn(1.0, True), True)
    assert listed[0]["access_count"] == 2


def test_pin_share_and_context_commands(daemon, chat):
    api, server = daemon
    workspace = api.daemon.home / "workspace"
    (workspace / "spec.md").write_text("The spec.")
    answers = [chat.reply(line) for line in (
        "/pin spec.md", "/pin text todo buy milk", "/pinned", "/pin ../config.yaml", "/pin text",
        "/remember lang Go", "/share lang with @writer", "/share pin todo with writer", "/share all with *",
        "/share nope with writer", "/share lang with ghost", "/share lang", "/shared")]
    spec = str(workspace / "spec.md")
    assert answers[:3] == [f"Pinned file: {spec} (3 tokens)", "Pinned text: todo (2 tokens)",
                           f"Pinned for @default (2):\n  • {spec} (file) - 3 tokens\n  • todo (text) - 2 tokens"]
    assert answers[3].startswith("Error: path denied: '../config.yaml' is outside the allowed paths")
    assert answers[4] == "Usage: /pin <file> | /pin text <label> <text>"
    assert answers[6:9] == ["Shared memory 'lang' of @default with @writer.",
                            "Shared pin 'todo' of @default with @writer.",
                            "Shared all memories and shared pins of @default with every agent."]
    assert answers[9:12] == ["Error: no memory named 'nope' for @default", 'Error: agent "ghost" not found',
                             "Usage: /share <key> | all | pin <src> with <agent>"]
    assert answers[12] == ("@default shares:\n  • memory 'lang' with @writer\n  • pin 'todo' with @writer\n"
                           "  • all memories and shared pins with every agent")
    assert chat.reply("/shared", "writer") == ("Shared with @writer:\n  • From @default: memory 'lang'\n"
                                               "  • From @default: pin 'todo'\n"
                                               "  • From @default: all memories and shared pins")
    assert chat.reply("hi", "writer") == "WRITER heard: hi"
    prompt = system_prompts(server)[-1]
    assert prompt.endswith("<shared_knowledge>\nFrom @default: lang: Go\nFrom @default: --- todo ---\nbuy milk\n"
                           "</shared_knowledge>")
    assert "The spec." not in prompt  # the file pin was not shared
    assert chat.reply("/unshare pin todo from writer") == "Stopped sharing pin 'todo' with @writer."
    assert chat.reply("/unshare pin todo from writer") == "@default does not share pin 'todo' with @writer."
    assert chat.reply("/unpin spec.md") == "Unpinned: spec.md"
    assert chat.reply("/unpin spec.md") == "No pin spec.md for @default."
    context = chat.reply("/context")
    assert context.startswith("Context of @default (openai/o3): 128000 tokens\n  soul ")
    assert "\n  output reserve        4096\n" in context


def test_agent_help_and_settings_commands(daemon, chat):
    api, server = daemon
    assert chat.reply("/agents").splitlines() == [
        "Agents (3, ▸ = this conversation's):", "  • ▸ @default  GoClaw  auto (openai/o3)  workers 2  active 1",
        "  • @coder  auto (openai/o3)  workers 4  active 0", "  • @writer  auto (openai/o3)  workers 4  active 0"]
    assert chat.reply("/agents team researcher writer") == "Team of @default: @researcher, @writer\nCreated: @researcher"
    assert chat.reply("/agents frob x y") == ("Usage: /agents [list | new <id> [soul] | remove <id> | team <roles…> "
                                              "| <id>]")
    assert chat.reply("/agent remove default") == "Cannot remove @default while talking to it; switch to another " \
                                                  "agent first."
    assert chat.reply("/agents new scout Be brief.") == "Created agent @scout. Talk to it with @scout."
    assert chat.reply("/agents remove scout") == "Removed agent @scout."
    help_text = chat.reply("/help")
    assert help_text.startswith("Commands:\n  /help") and "/remember <key> <value>" in help_text
    assert help_text.endswith("@<agent> alone switches to it.")
    assert chat.reply("/frob it") == "Unknown command: /frob (type /help for available commands)"
    assert chat.reply("/allow Example.COM") == "Allowed domain: example.com"
    assert "  • example.com" in chat.reply("/domains")
    assert chat.reply("/model") == "Model of @default: openai/o3"
    assert chat.reply("/plans") == "No plans configured."
    assert chat.reply("/plan nope") == 'Error: plan "nope" not found'
    assert chat.reply("/skills setup brave") == "skill setup is not available yet"
    assert len(server.seen) == 0


def test_mentions_route_and_stick_in_an_acp_session(daemon, chat):
    assert chat.say("@coder fix it") == ("coder", "CODER heard: fix it")
    assert chat.say("and the docs") == ("coder", "CODER heard: and the docs")  # sticky
    assert chat.say("explicitly", "writer") == ("writer", "WRITER heard: explicitly")  # a named agent wins
    assert chat.say("back to the target") == ("coder", "CODER heard: back to the target")
    assert chat.say("@@writer") == ("writer", "Now talking to @writer.")
    assert chat.say("so?") == ("writer", "WRITER heard: so?")
    assert chat.say("@ghost hello") == ("writer", "Unknown agent: @ghost. Available: @default, @coder, @writer")
    assert chat.say("@coder /remember lang Go") == ("coder", "Remembered: lang = Go")
    assert chat.say("/memory") == ("coder", "Core memory of @coder (1):\n  • lang: Go [relevance 1.00, used 0×]")
    assert chat.say("/agent default") == ("default", "Now talking to @default.")
    other = Chat(chat.api)  # another session has its own target
    assert other.say("hi") == ("default", "DEFAULT heard: hi")
    other.close()


def test_a_scoped_key_mentions_and_commands_only_within_its_agents(daemon):
    api, server = daemon
    chat = Chat(api, token="scoped-key-0123")
    try:
        assert chat.say("@coder hi") == ("default", "Unknown agent: @coder. Available: @default, @writer")
        assert chat.say("@writer hi") == ("writer", "WRITER heard: hi")
        assert chat.reply("/allow evil.example") == "Error: api key not permitted for method \"policy.domain.add\""
        assert chat.reply("/domains") == "Error: api key not permitted for command /domains"
        assert chat.reply("/remember k v") == "Remembered: k = v"
        assert chat.reply("/share k with coder") == 'Error: api key not permitted for agent "coder"'
        assert chat.reply("/share k with *") == 'Error: api key not permitted to share with "*"'
        assert chat.reply("/agents").count("@") == 2
    finally:
        chat.close()


def completion(api, messages, model="goclaw-v1", **extra):
    response = requests.post(api.base + "/v1/chat/completions", headers=AUTH, timeout=30,
                             json={"model": model, "messages": messages, **extra})
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]["content"], response.json()["id"][len("chatcmpl-"):]


def test_openai_conversations_route_by_their_mentions(daemon):
    api, server = daemon
    user = lambda text: {"role": "user", "content": text}  # noqa: E731
    reply, task_id = completion(api, [user("@coder fix it")])
    assert reply == "CODER heard: fix it" and api.get(f"/api/tasks/{task_id}").json()["agent_id"] == "coder"
    conversation = [user("@coder fix it"), {"role": "assistant", "content": reply}, user("more")]
    assert completion(api, conversation)[0] == "CODER heard: more"  # the conversation's target
    assert completion(api, conversation, model="agent:writer")[0] == "CODER heard: more"
    assert completion(api, [user("hi")], model="agent:writer")[0] == "WRITER heard: hi"
    assert completion(api, [user("@ghost hi")])[0] == "Unknown agent: @ghost. Available: @default, @coder, @writer"
    asked = len(server.seen)
    assert completion(api, [user("/remember lang Go")], user="ada")[0] == "Remembered: lang = Go"
    assert completion(api, [user("@writer /memory")], user="ada")[0] == "No memories stored for @writer."
    assert len(server.seen) == asked
    _, task_id = completion(api, [user("@writer hello")], user="ada", stream=False)
    task = api.get(f"/api/tasks/{task_id}").json()
    assert task["agent_id"] == "writer"
    history = api.get(f"/api/sessions/{task['session_id']}/messages").json()["messages"]
    assert [(m["role"], m["content"]) for m in history] == [("user", "hello"), ("assistant", "WRITER heard: hello")]
    stream = requests.post(api.base + "/v1/chat/completions", headers=AUTH, timeout=30, stream=True,
                           json={"model": "goclaw-v1", "stream": True, "messages": [user("/forget lang")]})
    chunks = [json.loads(line[6:]) for line in stream.iter_lines(decode_unicode=True)
              if line.startswith("data: {")]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == "Forgot: lang"
