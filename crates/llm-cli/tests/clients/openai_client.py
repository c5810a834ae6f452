"""Talks to a running `llm serve` with OpenAI's official Python client (the `openai`
package) and prints one JSON object of what it got back; `tests/serve.rs` checks it.

usage: openai_client.py BASE_URL API_KEY
"""

import json
import sys

import openai
from openai import OpenAI

base, key = sys.argv[1], sys.argv[2]
client = OpenAI(base_url=f"{base}/v1", api_key=key, max_retries=0)
question = [{"role": "user", "content": "Name a colour."}]
out = {"models": [m.id for m in client.models.list().data]}

chat = client.chat.completions.create(model="local", messages=question, max_tokens=12, temperature=0)
out["chat"] = {
    "object": chat.object,
    "content": chat.choices[0].message.content,
    "role": chat.choices[0].message.role,
    "finish_reason": chat.choices[0].finish_reason,
    "usage": chat.usage.model_dump(),
}

pieces, roles, finish, objects, usage = [], [], None, set(), None
stream = client.chat.completions.create(
    model="local", messages=question, max_tokens=12, temperature=0, stream=True, stream_options={"include_usage": True})
for chunk in stream:
    objects.add(chunk.object)
    if not chunk.choices:  # the last chunk: usage only
        usage = chunk.usage.model_dump()
        continue
    delta = chunk.choices[0].delta
    if delta.role:
        roles.append(delta.role)
    if delta.content:
        pieces.append(delta.content)
    if chunk.choices[0].finish_reason:
        finish = chunk.choices[0].finish_reason
out["chat_stream"] = {"content": "".join(pieces), "roles": roles, "finish_reason": finish, "objects": sorted(objects), "usage": usage}

completion = client.completions.create(model="local", prompt="Every effort moves", max_tokens=8, temperature=0)
out["completion"] = {
    "object": completion.object,
    "text": completion.choices[0].text,
    "finish_reason": completion.choices[0].finish_reason,
    "usage": completion.usage.model_dump(),
}
text = "".join(c.choices[0].text for c in client.completions.create(
    model="local", prompt="Every effort moves", max_tokens=8, temperature=0, stream=True))
out["completion_stream"] = {"text": text}

try:
    client.chat.completions.create(model="local", messages=question, n=2)
    out["n2"] = None
except openai.BadRequestError as e:
    out["n2"] = {"status": e.status_code, "message": e.message}

try:
    OpenAI(base_url=f"{base}/v1", api_key="not-the-key", max_retries=0).models.list()
    out["wrong_key"] = None
except openai.AuthenticationError as e:
    out["wrong_key"] = {"status": e.status_code}

print(json.dumps(out))
