#!/usr/bin/env python3
"""Regenerates the bundled OpenRouter sample logs (deterministic).

The samples are committed; this script documents how they were made and can
rebuild them: python3 samples/openrouter/make-samples.py && ls samples/openrouter/
Shapes covered: snake_case generation objects as the generation API returns
them, {"data": {...}} wrappers, camelCase keys as the SDKs serialise them,
provider fallbacks (failed attempts before a success), missing latency,
metadata, user/session ids, a caller-supplied trace context, a W3C
traceparent, prompt/completion content, and an error finish.
"""
import gzip, json, os, random, subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
rnd = random.Random(20250601)
MODELS = ["openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet", "meta-llama/llama-3.1-70b-instruct",
          "google/gemini-flash-1.5", "mistralai/mistral-small"]
PROVIDERS = {"openai/gpt-4o-mini": ["OpenAI", "Azure"], "anthropic/claude-3.5-sonnet": ["Anthropic", "Amazon Bedrock"],
             "meta-llama/llama-3.1-70b-instruct": ["Together", "DeepInfra", "Fireworks"],
             "google/gemini-flash-1.5": ["Google AI Studio", "Google Vertex"], "mistralai/mistral-small": ["Mistral"]}

def camel(k):
    parts = k.split("_")
    return parts[0] + "".join(p.capitalize() for p in parts[1:])

def gen(day, i):
    model = MODELS[i % len(MODELS)]
    provs = PROVIDERS[model]
    h, m, s = 8 + i // 6, (i * 7) % 60, (i * 13) % 60
    frac = "%06d" % rnd.randrange(1000000)
    offset = ["+00:00", "Z", "+02:00", "-05:00"][i % 4]
    hh = h + {"+00:00": 0, "Z": 0, "+02:00": 2, "-05:00": -5}[offset]
    created = "2025-06-%02dT%02d:%02d:%02d.%s%s" % (day, hh, m, s, frac, offset)
    tp, tc = rnd.randrange(20, 3000), rnd.randrange(5, 800)
    mod = rnd.randrange(5, 60)
    gen_time = rnd.randrange(200, 4000)
    attempts = []
    if i % 5 == 3:  # a fallback: the first provider failed
        attempts.append({"id": None, "endpoint_id": "ep_%04x" % rnd.randrange(65536), "model_permaslug": model + "-2024",
                         "provider_name": provs[0], "status": [429, 503, 502][i % 3], "latency": rnd.randrange(80, 900),
                         "is_byok": False})
    attempts.append({"id": "chatcmpl-%016x" % rnd.getrandbits(64), "endpoint_id": "ep_%04x" % rnd.randrange(65536),
                     "model_permaslug": model + "-2024", "provider_name": provs[-1] if attempts else provs[0],
                     "status": 200, "latency": gen_time, "is_byok": False})
    latency = mod + sum(a["latency"] for a in attempts) + rnd.randrange(1, 30)
    r = {
        "id": "gen-%d%02d%04d-%s" % (2025, day, i, "".join(rnd.choice("abcdefghijkLMNOPQRS0123456789") for _ in range(20))),
        "upstream_id": attempts[-1]["id"],
        "total_cost": round(tp * 1.5e-7 + tc * 6e-7, 8),
        "cache_discount": None,
        "upstream_inference_cost": None,
        "created_at": created,
        "model": model,
        "app_id": None if i % 3 else 4242,
        "streamed": i % 2 == 0,
        "cancelled": False,
        "provider_name": attempts[-1]["provider_name"],
        "latency": latency + (0.25 if i % 7 == 0 else 0),
        "moderation_latency": mod,
        "generation_time": gen_time,
        "finish_reason": "stop" if i % 11 else "length",
        "native_finish_reason": "stop" if i % 11 else "max_tokens",
        "tokens_prompt": tp,
        "tokens_completion": tc,
        "native_tokens_prompt": tp + 3,
        "native_tokens_completion": tc,
        "native_tokens_reasoning": 0,
        "native_tokens_cached": 0,
        "num_media_prompt": None,
        "num_media_completion": 0,
        "num_search_results": None,
        "origin": "https://app.example.com/",
        "usage": round(tp * 1.5e-7 + tc * 6e-7, 8),
        "is_byok": False,
        "api_type": "completions",
        "router": "openrouter/auto" if i % 9 == 0 else None,
        "provider_responses": attempts,
        "user": "user-%d" % (i % 4),
        "session_id": "sess-%d-%d" % (day, i // 5),
        "metadata": {"team": ["search", "support", "billing"][i % 3], "env": "prod", "build": {"sha": "a1b2c3d"}},
    }
    if i % 10 == 4:  # latency missing: derived from moderation + generation
        r["latency"] = None
    if i % 8 == 2:   # a caller-supplied trace groups requests of one agent run
        r["trace"] = {"trace_id": "agent-run-%d-%d" % (day, i // 8), "trace_name": "support-agent",
                      "generation_name": "draft-answer", "customer_tier": "gold"}
    if i % 12 == 6:  # propagated W3C context
        r["traceparent"] = "00-%032x-%016x-01" % (rnd.getrandbits(128) | 1, rnd.getrandbits(64) | 1)
    if i % 6 == 1:
        r["prompt"] = "Summarise ticket #%d in two sentences." % (1000 + i)
        r["completion"] = "The customer reports a billing error. Support issued a refund."
    if i == 17:
        r["finish_reason"] = "error"
        r["native_finish_reason"] = "error"
        r["tokens_completion"] = 0
    return r

def shape(r, i):
    if i % 4 == 1:
        return {"data": r}
    if i % 4 == 2:
        return {camel(k): v for k, v in r.items()}
    return r

def lines(day, n):
    return "".join(json.dumps(shape(gen(day, i), i), separators=(",", ":")) + "\n" for i in range(n))

day1 = lines(1, 30).encode()
# Two gzip members, as logrotate's copytruncate + later append (or pigz) produce.
half = day1.index(b"\n", len(day1) // 2) + 1
with open(os.path.join(HERE, "openrouter-2025-06-01.jsonl.gz"), "wb") as f:
    f.write(gzip.compress(day1[:half], mtime=0))
    f.write(gzip.compress(day1[half:], mtime=0))
day2 = lines(2, 30).encode()
subprocess.run(["zstd", "-q", "-f", "-19", "-o", os.path.join(HERE, "openrouter-2025-06-02.jsonl.zst")],
               input=day2, check=True)
