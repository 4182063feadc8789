"""A yes/no question to a chat model on an OpenAI-compatible server, read as P(yes).

Used to measure SmolLM2-135M-Instruct (the instruction model packaged on PyPI, served by llama.cpp
on loopback, see tests/llm_server.py) as a judge: its first token's top log-probabilities give
P(yes) / (P(yes) + P(no)), a score that can be ranked like any classifier's.
"""

from __future__ import annotations

import json
import math
import urllib.request


def yes_probability(url: str, system: str, user: str, timeout_s: float = 120) -> float:
    """P(yes) among yes/no for the model's one-token reply; 0.5 if neither is among its top tokens."""
    body = {
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        "max_tokens": 1,
        "temperature": 0,
        "logprobs": True,
        "top_logprobs": 10,
    }
    request = urllib.request.Request(
        f"{url}/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        tops = json.load(response)["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
    p: dict[str, float] = {}
    for t in tops:
        token = t["token"].strip().lower()
        p[token] = p.get(token, 0.0) + math.exp(t["logprob"])  # "yes" and " Yes" are one answer
    yes, no = p.get("yes", 0.0), p.get("no", 0.0)
    return yes / (yes + no) if yes + no else 0.5
