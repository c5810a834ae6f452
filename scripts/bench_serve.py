"""Load for `cargo xtask bench --workload serve`: CLIENTS concurrent clients (OpenAI's Python
client, async) each stream REQUESTS completions one after another from a running `llm serve`,
and one JSON object of what they measured is printed.

- tokens: the completion tokens the server counted (`stream_options.include_usage`);
- tokens_per_s: all clients' tokens over the wall time from the first request to the last reply;
- ttft_ms: time from sending a request to its first streamed text (median, 99th percentile);
- between_tokens_ms: time between consecutive streamed pieces of a reply (median, 99th
  percentile; a piece is one token, except that a character split across tokens comes whole);
- errors: requests that raised or ended without `finish_reason`.

usage: bench_serve.py BASE_URL --clients N --requests R --max-tokens T
"""

import argparse
import asyncio
import json
import time

from openai import AsyncOpenAI


def percentile(values, q):
    """The q-th percentile by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


async def one_request(client, prompt, max_tokens, record):
    start = time.perf_counter()
    last, first, finish, tokens = None, None, None, None
    stream = await client.completions.create(
        model="local", prompt=prompt, max_tokens=max_tokens, temperature=0, stream=True,
        stream_options={"include_usage": True})
    async for chunk in stream:
        now = time.perf_counter()
        if chunk.usage is not None:
            tokens = chunk.usage.completion_tokens
        if not chunk.choices:
            continue
        if chunk.choices[0].text:
            if first is None:
                first = now - start
            else:
                record["between"].append(now - last)
            last = now
        if chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    if finish is None or tokens is None:
        raise RuntimeError(f"the stream of {prompt!r} ended without finish_reason or usage")
    record["ttft"].append(first if first is not None else time.perf_counter() - start)
    record["tokens"] += tokens


async def client_loop(client, index, requests, max_tokens, record):
    for r in range(requests):
        prompt = f"Client {index}, request {r}: every effort moves you"
        try:
            await one_request(client, prompt, max_tokens, record)
        except Exception as e:  # counted, and the client goes on
            record["errors"] += 1
            record["messages"].append(f"{type(e).__name__}: {e}")


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--max-tokens", type=int, required=True)
    args = parser.parse_args()
    client = AsyncOpenAI(base_url=f"{args.base}/v1", api_key="unused", max_retries=0, timeout=600)
    record = {"ttft": [], "between": [], "tokens": 0, "errors": 0, "messages": []}
    start = time.perf_counter()
    await asyncio.gather(*(client_loop(client, c, args.requests, args.max_tokens, record) for c in range(args.clients)))
    seconds = time.perf_counter() - start
    ms = lambda values, q: None if not values else round(percentile(values, q) * 1000, 1)
    print(json.dumps({
        "clients": args.clients,
        "requests": args.clients * args.requests,
        "max_tokens": args.max_tokens,
        "tokens": record["tokens"],
        "seconds": round(seconds, 3),
        "tokens_per_s": round(record["tokens"] / seconds, 2),
        "ttft_ms": {"p50": ms(record["ttft"], 50), "p99": ms(record["ttft"], 99)},
        "between_tokens_ms": {"p50": ms(record["between"], 50), "p99": ms(record["between"], 99)},
        "errors": record["errors"],
        "error_messages": record["messages"][:5],
    }))


asyncio.run(main())
