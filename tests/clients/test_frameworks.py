"""Frameworks people point at an OpenAI-compatible gateway (SPEC §9.4): langchain-openai, litellm as a
client SDK, pydantic-ai and instructor, each configured with only a base URL, a key and a model name.
They are imported once per session (litellm and langchain take seconds to import)."""

import asyncio
import os

import openai
import pydantic
import pytest

from tests.clients.conftest import TOKEN
from tests.clients.fake_upstream import CONTEXT_ERROR, CUT_REPLY, HELLO_CHUNKS, HELLO_REPLY, PERSON

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # litellm must not fetch its price list
import instructor  # noqa: E402
import litellm  # noqa: E402
from langchain_core.tools import tool  # noqa: E402
from langchain_openai import ChatOpenAI  # noqa: E402
from pydantic_ai import Agent, NativeOutput  # noqa: E402
from pydantic_ai.models.openai import OpenAIChatModel  # noqa: E402
from pydantic_ai.providers.openai import OpenAIProvider  # noqa: E402

pytestmark = pytest.mark.clients


class UserInfo(pydantic.BaseModel):
    name: str
    age: int


@tool
def get_weather(city: str) -> str:
    """Current weather of a city."""
    return "21 C"


def test_langchain_openai(daemon, upstream):
    llm = ChatOpenAI(base_url=daemon.url + "/v1", api_key=TOKEN, model="goclaw-v1")
    assert llm.invoke("hello langchain").content == HELLO_REPLY
    pieces = [chunk.content for chunk in llm.stream("hello langchain stream")]
    assert [piece for piece in pieces if piece] == HELLO_CHUNKS
    cut = llm.invoke("cut me off langchain")
    assert (cut.content, cut.response_metadata["finish_reason"]) == (CUT_REPLY, "length")
    call = llm.bind_tools([get_weather]).invoke("what is the weather in Paris? langchain")
    assert [(c["name"], c["args"], c["id"]) for c in call.tool_calls] == [
        ("get_weather", {"city": "Paris"}, "call_get_weather")]
    structured = llm.with_structured_output(UserInfo, method="json_schema")
    assert structured.invoke("json person langchain") == UserInfo(**PERSON)
    streamed = list(structured.stream("json person langchain stream"))
    assert streamed and streamed[-1] == UserInfo(**PERSON)
    assert upstream.conversation_calls("json person langchain stream") == 2


def test_litellm_as_a_client(daemon, upstream):
    where = {"model": "openai/goclaw-v1", "api_base": daemon.url + "/v1", "api_key": TOKEN}
    reply = litellm.completion(messages=[{"role": "user", "content": "hello litellm"}], **where)
    assert (reply.choices[0].message.content, reply.choices[0].finish_reason) == (HELLO_REPLY, "stop")
    chunks = litellm.completion(messages=[{"role": "user", "content": "hello litellm stream"}], stream=True, **where)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks) == HELLO_REPLY
    cut = litellm.completion(messages=[{"role": "user", "content": "cut me off litellm"}], **where)
    assert (cut.choices[0].message.content, cut.choices[0].finish_reason) == (CUT_REPLY, "length")
    with pytest.raises(litellm.ContextWindowExceededError) as info:
        litellm.completion(messages=[{"role": "user", "content": "overflow please litellm"}], num_retries=0, **where)
    assert CONTEXT_ERROR["message"] in str(info.value)
    assert upstream.calls("overflow please litellm") == 1
    with pytest.raises(litellm.NotFoundError):
        litellm.completion(messages=[{"role": "user", "content": "hi"}], num_retries=0,
                           **{**where, "model": "openai/agent:nope"})


def test_pydantic_ai(daemon, upstream):
    model = OpenAIChatModel("goclaw-v1", provider=OpenAIProvider(base_url=daemon.url + "/v1", api_key=TOKEN))
    assert Agent(model).run_sync("hello pydantic").output == HELLO_REPLY
    native = Agent(model, output_type=NativeOutput(UserInfo))
    assert native.run_sync("json person pydantic").output == UserInfo(**PERSON)
    assert Agent(model, output_type=UserInfo).run_sync("person by tool pydantic").output == UserInfo(**PERSON)

    async def streams():
        async with Agent(model).run_stream("hello pydantic stream") as result:
            text = [delta async for delta in result.stream_text(delta=True)]
        async with native.run_stream("json person pydantic stream") as result:
            outputs = [output async for output in result.stream_output()]
        return text, outputs

    text, outputs = asyncio.run(streams())
    assert "".join(text) == HELLO_REPLY
    assert outputs and outputs[-1] == UserInfo(**PERSON)
    assert upstream.conversation_calls("json person pydantic stream") == 2
    tool_call = upstream.requests_with("person by tool pydantic")[-1].body
    assert tool_call["tool_choice"] == "required" and tool_call["tools"][0]["function"]["name"] == "final_result"


def test_instructor(daemon, upstream):
    sdk = openai.OpenAI(base_url=daemon.url + "/v1", api_key=TOKEN)
    tools = instructor.from_openai(sdk)
    person = tools.chat.completions.create(model="goclaw-v1", response_model=UserInfo,
                                           messages=[{"role": "user", "content": "person by tool instructor"}])
    assert person.model_dump() == PERSON  # instructor answers with its own subclass of the model
    sent = upstream.requests_with("person by tool instructor")[-1].body
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "UserInfo"}}
    schema = instructor.from_openai(sdk, mode=instructor.Mode.JSON_SCHEMA)
    assert schema.chat.completions.create(model="goclaw-v1", response_model=UserInfo, messages=[
        {"role": "user", "content": "json person instructor"}]).model_dump() == PERSON
    partials = [partial.model_dump() for partial in schema.chat.completions.create_partial(
        model="goclaw-v1", response_model=UserInfo,
        messages=[{"role": "user", "content": "json person instructor partial"}])]
    assert len(partials) > 1 and partials[-1] == PERSON
    for partial in partials:  # every partial is a prefix of the validated object, never the rejected reply
        assert partial["name"] is None or PERSON["name"].startswith(partial["name"])
        assert partial["age"] in (None, PERSON["age"])
    assert upstream.conversation_calls("json person instructor partial") == 2
