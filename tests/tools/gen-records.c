/* gen-records.c: writes N deterministic OpenRouter-shaped generation records
 * (about 500 bytes each) as JSON lines to stdout, for the resume tests and
 * `make bench`. Usage: gen-records N [SEED [START_EPOCH_SECONDS]]
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
        t += 1 + (int64_t)((r >> 16) % 3);
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        char when[40];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        printf("{\"id\":\"gen-%" PRIu64 "-%" PRIu64 "-%012" PRIx64 "\",\"total_cost\":%.8f,"
               "\"created_at\":\"%s.%06u+00:00\",\"model\":\"%s\",\"streamed\":%s,"
               "\"provider_name\":\"%s\",\"latency\":%u,\"moderation_latency\":%u,"
               "\"generation_time\":%u,\"finish_reason\":\"stop\",\"tokens_prompt\":%u,"
               "\"tokens_completion\":%u,\"native_tokens_prompt\":%u,\"api_type\":\"completions\","
               "\"user\":\"user-%u\",\"metadata\":{\"team\":\"%s\",\"env\":\"prod\"},"
               "\"provider_responses\":[{\"provider_name\":\"%s\",\"status\":200,\"latency\":%u}]}\n",
               seed, i, (uint64_t)(rnd() & 0xffffffffffffull), tp * 1.5e-7 + tc * 6e-7, when, (unsigned)(r % 1000000),
               models[m], (r & 1) ? "true" : "false", providers[m], mod + gen + extra, mod, gen, tp, tc,
               tp + 3, (unsigned)(i % 97), teams[(r >> 5) % 4], providers[m], gen);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
