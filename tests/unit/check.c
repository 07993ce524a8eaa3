/* unit-check.c: the hints `tracefill check` gives for answers that cannot be
 * produced on loopback (a Grafana Cloud host name needs DNS). */
#include "config.h"
#include "tool/cmd_check.h"
#include "tap.h"

static int has(const char *hint, const char *needle)
{
    return hint && strstr(hint, needle) != NULL;
}

int main(void)
{
    const char *dash = "https://mystack.grafana.net/v1/traces";
    const char *gw = "https://otlp-gateway-prod-eu-west-2.grafana.net/otlp/v1/traces";
    ok(has(tf_check_hint(dash, 404, false, ""), "otlp-gateway-prod-<region>.grafana.net/otlp"),
       "404 from <stack>.grafana.net: use the OTLP gateway");
    ok(has(tf_check_hint(dash, 200, true, ""), "dashboard URL"), "an HTML answer from the dashboard host: same hint");
    ok(!has(tf_check_hint(gw, 404, false, ""), "this looks like the Grafana dashboard URL"),
       "the gateway itself is not mistaken for the dashboard");
    ok(has(tf_check_hint("http://tempo:4318/v1/traces", 401, false, "no org id"), "--tenant"),
       "401 'no org id': pass --tenant");
    ok(has(tf_check_hint(gw, 401, false, "invalid credentials"), "traces:write"),
       "401 otherwise: check the token and its scope");
    ok(has(tf_check_hint(gw, 403, false, ""), "traces:write"), "403: the token lacks traces:write");
    ok(tf_check_hint("http://x/v1/traces", 200, false, "") == NULL, "no hint for a success");
    /* Tempo answers a missing tenant with 500, not 401 (measured on Tempo 2.0.1). */
    ok(has(tf_check_hint("http://tempo:4318/v1/traces", 500, false, "no org id"), "--tenant"),
       "500 'no org id': pass --tenant");
    ok(!has(tf_check_hint("http://tempo:4318/v1/traces", 500, false, "no org id"), "failed internally"),
       "not the generic 500 hint");
    ok(has(tf_check_hint("http://tempo:3200/v1/traces", 200, true, ""), "otlp-gateway"),
       "an HTML answer from another host: where OTLP endpoints are");
    ok(has(tf_check_hint("http://tempo:4318/v1/traces", 500, false, "LIVE_TRACES_EXCEEDED: max live traces"),
           "max_traces_per_user"),
       "LIVE_TRACES_EXCEEDED: the Tempo limit");
    return done_testing();
}
