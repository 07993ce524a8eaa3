/* unit-detect.c: --profile auto's detector: a frame's first recognised
 * record decides (OpenRouter generations in their three shapes, chat-completion
 * responses, OTLP/JSON requests, Broadcast's among them), a frame without JSON judges nothing, the reasons are the ones
 * inspect shows, and one detector judges many frames in a row. */
#include "config.h"
#include "map/detect.h"
#include "tap.h"

#include <string.h>

static tf_detector *d;

static void judged(const char *frame, const char *want_name, const char *want_why, const char *what)
{
    const char *why = "unset";
    const char *name = tf_detector_frame(d, frame, strlen(frame), &why);
    is_str(name ? name : "(none)", want_name ? want_name : "(none)", "%s: profile", what);
    is_str(why ? why : "(none)", want_why ? want_why : "(none)", "%s: why", what);
}

int main(void)
{
    d = tf_detector_new();
    judged("{\"id\": \"gen-1748736000-abc\", \"model\": \"x\"}", "openrouter",
           "the first record has a gen-… id, like an OpenRouter generation", "a gen- id");
    judged("{\"id\": 7, \"createdAt\": \"2025-06-01T00:00:00Z\"}", "openrouter",
           "the first record has id and created_at, like an OpenRouter generation", "id and createdAt");
    judged("{\"data\": {\"id\": \"x\", \"created_at\": 1}}", "openrouter",
           "the first record wraps an OpenRouter generation in \"data\"", "wrapped in data");
    judged("{\"resource_spans\": []}", "otlp", "the first record has resourceSpans, like an OTLP/JSON export request",
           "OTLP with proto field names");
    judged("{\"id\": \"gen-1\", \"object\": \"chat.completion\", \"created\": 1790000100, \"choices\": []}", "openrouter",
           "the first record has id, created and choices, like an OpenRouter chat-completion response",
           "a chat-completion response");
    judged("{\"id\": \"gen-1\", \"created\": 1790000100, \"created_at\": \"2026-01-01T00:00:00Z\", \"choices\": []}",
           "openrouter", "the first record has a gen-… id, like an OpenRouter generation",
           "created_at makes it a generation record");
    judged("{\"resourceSpans\": [{\"resource\": {\"attributes\": [{\"key\": \"service.name\", \"value\": "
           "{\"stringValue\": \"openrouter\"}}]}}]}",
           "otlp", "the first record has resourceSpans from OpenRouter Broadcast (service.name openrouter)",
           "a Broadcast delivery");
    judged("{\"resourceSpans\": [{\"resource\": {\"attributes\": [{\"key\": \"service.name\", \"value\": "
           "{\"stringValue\": \"checkout\"}}]}}]}",
           "otlp", "the first record has resourceSpans, like an OTLP/JSON export request", "another service's export");
    judged("[1, 2]", NULL, "the first record is not a JSON object", "an array");
    judged("{\"msg\": \"hello\"}", NULL,
           "the first record matches no built-in profile (use --profile with a mapping file)", "an unknown object");
    judged("GET / HTTP/1.1", NULL, NULL, "not JSON: nothing judged");
    judged("{\"msg\": 1} {\"resourceSpans\": []}", "otlp",
           "the first record has resourceSpans, like an OTLP/JSON export request", "the second value is recognised");
    judged("{\"resourceSpans\": []} {\"id\": \"gen-1\"}", "otlp",
           "the first record has resourceSpans, like an OTLP/JSON export request", "the first recognised value wins");
    judged("{\"msg\": 1} {oops", NULL,
           "the first record matches no built-in profile (use --profile with a mapping file)",
           "values before a syntax error are judged");

    /* many frames through one detector: its arena is reused */
    size_t right = 0;
    for (int i = 0; i < 5000; i++) {
        char frame[192];
        const char *why;
        snprintf(frame, sizeof frame, i % 2 ? "{\"id\": \"gen-%d\", \"pad\": \"%0100d\"}" : "{\"resourceSpans\": [%d]}", i, i);
        const char *name = tf_detector_frame(d, frame, strlen(frame), &why);
        right += name && !strcmp(name, i % 2 ? "openrouter" : "otlp");
    }
    is_int(right, 5000, "5000 frames in a row through one detector");
    tf_detector_free(d);
    return done_testing();
}
