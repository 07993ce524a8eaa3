/* gen-records.c: writes N deterministic OpenRouter generation records, shaped
 * as the generation API returns them plus the request's content (a prompt
 * and a completion string, as an application that logs both keeps them),
 * about 800 bytes each, as JSON lines to stdout, for the resume tests and
 * `make bench`. Each maps to four spans: the root, moderation, one provider
 * attempt, generation. Usage: gen-records N [SEED [START_EPOCH_SECONDS]]
 * Self-contained (no tracefill code) so the corpus does not depend on what
 * it is used to test. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static const char *const models[] = { "openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet",
                                      "meta-llama/llama-3.1-70b-instruct", "google/gemini-flash-1.5" };
static const char *const providers[] = { "OpenAI", "Anthropic", "Together", "Google AI Studio" };
static const char *const teams[] = { "search", "support", "billing", "growth" };
static const char *const words[] = {
    "the", "customer", "reports", "an", "error", "when", "paying", "invoice", "please", "summarise", "ticket",
    "in", "two", "sentences", "refund", "was", "issued", "order", "shipping", "delayed", "because", "of", "weather",
    "translate", "this", "into", "French", "explain", "why", "request", "failed", "with", "status", "code",
    "draft", "a", "polite", "reply", "account", "locked", "after", "three", "attempts", "reset", "password",
};

/* n words from the list, JSON-safe; a "\n" now and then, as answers have. */
static void text(char *out, size_t cap, unsigned n)
{
    size_t len = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t r = rnd();
        const char *w = words[r % (sizeof words / sizeof words[0])];
        const char *sep = i == 0 ? "" : (r >> 32) % 11 == 0 ? ".\\n" : " ";
        int k = snprintf(out + len, cap - len, "%s%s", sep, w);
        if (k < 0 || (size_t)k >= cap - len)
            break;
        len += (size_t)k;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gen-records N [SEED [START_EPOCH_SECONDS]]\n");
        return 2;
    }
    uint64_t n = strtoull(argv[1], NULL, 10);
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    int64_t t = argc > 3 ? strtoll(argv[3], NULL, 10) : 1735689600; /* 2025-01-01 */
    rng_state = seed;
    static char out[1 << 16];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t r = rnd();
        unsigned m = (unsigned)(r % 4);
        unsigned tp = 20 + (unsigned)(r >> 8) % 3000, tc = 5 + (unsigned)(r >> 20) % 800;
        unsigned mod = 5 + (unsigned)(r >> 32) % 50, gen = 200 + (unsigned)(r >> 40) % 3000;
        unsigned extra = 1 + (unsigned)(r >> 52) % 40;
        unsigned cached = (unsigned)(r >> 12) % 3 == 0 ? tp / 2 : 0;
        t += 1 + (int64_t)((r >> 16) % 3);
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        char when[40];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        uint64_t upstream = rnd() & UINT64_C(0xffffffffffff);
        char prompt[256], completion[320];
        text(prompt, sizeof prompt, 5 + (unsigned)(rnd() % 10));
        text(completion, sizeof completion, 6 + (unsigned)(rnd() % 16));
        printf("{\"id\":\"gen-%" PRIu64 "-%" PRIu64 "-%012" PRIx64 "\",\"upstream_id\":\"chatcmpl-%012" PRIx64 "\","
               "\"total_cost\":%.8f,\"created_at\":\"%s.%06u+00:00\",\"model\":\"%s\",\"streamed\":%s,"
               "\"cancelled\":false,\"provider_name\":\"%s\",\"latency\":%u,\"moderation_latency\":%u,"
               "\"generation_time\":%u,\"finish_reason\":\"stop\",\"native_finish_reason\":\"stop\","
               "\"tokens_prompt\":%u,\"tokens_completion\":%u,\"native_tokens_prompt\":%u,"
               "\"native_tokens_completion\":%u,\"native_tokens_cached\":%u,\"is_byok\":false,"
               "\"api_type\":\"completions\",\"user\":\"user-%u\",\"session_id\":\"sess-%u\","
               "\"metadata\":{\"team\":\"%s\",\"env\":\"prod\"},"
               "\"provider_responses\":[{\"id\":\"chatcmpl-%012" PRIx64 "\",\"endpoint_id\":\"ep_%04x\","
               "\"provider_name\":\"%s\",\"status\":200,\"latency\":%u,\"is_byok\":false}],"
               "\"prompt\":\"%s\",\"completion\":\"%s\"}\n",
               seed, i, (uint64_t)(upstream ^ 0x5a5a5a5a5aull), upstream, tp * 1.5e-7 + tc * 6e-7, when,
               (unsigned)(r % 1000000), models[m], (r & 1) ? "true" : "false", providers[m], mod + gen + extra, mod,
               gen, tp, tc, tp + 3, tc, cached, (unsigned)(i % 97), (unsigned)(i % 13), teams[(r >> 5) % 4],
               upstream, (unsigned)(r >> 44) & 0xffff, providers[m], gen, prompt, completion);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
