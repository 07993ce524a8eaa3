/* awscreds.c: the AWS shared credentials and config files (INI with the
 * CLI's nested "s3 =" sub-sections) and the environment. */
#include "config.h"
#include "input/remote/awscreds.h"

#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The keys of one profile section that tracefill uses. */
typedef struct {
    bool found;
    char *access_key, *secret_key, *session_token, *region, *endpoint, *addressing_style;
} ini_profile;

static void wipe_free(char *s)
{
    if (!s)
        return;
    volatile char *v = s;
    while (*v)
        *v++ = 0;
    free(s);
}

static void profile_free(ini_profile *p)
{
    wipe_free(p->access_key);
    wipe_free(p->secret_key);
    wipe_free(p->session_token);
    free(p->region);
    free(p->endpoint);
    free(p->addressing_style);
    memset(p, 0, sizeof *p);
}

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

static const char *trim_end(const char *s, const char *end)
{
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    return end;
}

static bool span_eq(const char *p, const char *e, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(e - p) == n && memcmp(p, lit, n) == 0;
}

/* Does the header text [p, e) (inside the brackets) name the profile? In the
 * config file a profile other than default is "[profile NAME]". */
static bool section_is(const char *p, const char *e, const char *profile, bool config)
{
    p = skip_ws(p, e);
    e = trim_end(p, e);
    if (config && strcmp(profile, "default") != 0) {
        if (e - p < 8 || memcmp(p, "profile", 7) != 0 || (p[7] != ' ' && p[7] != '\t'))
            return false;
        p = skip_ws(p + 7, e);
    } else if (config && span_eq(p, e, "profile default")) {
        return true;
    }
    return span_eq(p, e, profile);
}

static void set_key(ini_profile *pr, const char *sub, const char *k, const char *ke, const char *v, const char *ve)
{
    char **slot = NULL;
    if (sub) {
        if (strcmp(sub, "s3") == 0 && span_eq(k, ke, "addressing_style"))
            slot = &pr->addressing_style;
    } else if (span_eq(k, ke, "aws_access_key_id")) {
        slot = &pr->access_key;
    } else if (span_eq(k, ke, "aws_secret_access_key")) {
        slot = &pr->secret_key;
    } else if (span_eq(k, ke, "aws_session_token")) {
        slot = &pr->session_token;
    } else if (span_eq(k, ke, "region")) {
        slot = &pr->region;
    } else if (span_eq(k, ke, "endpoint_url")) {
        slot = &pr->endpoint;
    }
    if (!slot)
        return;
    wipe_free(*slot);
    *slot = tf_xstrndup(v, (size_t)(ve - v));
}

/* Reads the profile's section out of an INI text. -1 on a malformed line. */
static int parse_ini(const char *text, const char *name, const char *profile, bool config, ini_profile *pr,
                     tf_err *err)
{
    bool in = false;
    char sub[32] = "";
    unsigned line = 0;
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            eol = p + strlen(p);
        line++;
        bool indented = *p == ' ' || *p == '\t';
        const char *s = skip_ws(p, eol), *e = trim_end(s, eol);
        const char *next = *eol ? eol + 1 : eol;
        if (s == e || *s == '#' || *s == ';') {
            p = next;
            continue;
        }
        if (*s == '[') {
            if (e[-1] != ']')
                return tf_err_set(err, "%s:%u: a section header without its ']'", name, line);
            in = section_is(s + 1, e - 1, profile, config);
            pr->found |= in;
            sub[0] = '\0';
            p = next;
            continue;
        }
        const char *eq = memchr(s, '=', (size_t)(e - s));
        if (!eq)
            return tf_err_set(err, "%s:%u: not a \"key = value\" line", name, line);
        const char *ke = trim_end(s, eq), *v = skip_ws(eq + 1, e);
        if (in) {
            if (!indented)
                sub[0] = '\0';
            if (!indented && v == e && (size_t)(ke - s) < sizeof sub) { /* "s3 =" opens a sub-section */
                memcpy(sub, s, (size_t)(ke - s));
                sub[ke - s] = '\0';
            } else {
                set_key(pr, indented && sub[0] ? sub : NULL, s, ke, v, e);
            }
        }
        p = next;
    }
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? tf_xstrdup(s) : NULL;
}

static const char *first_env(tf_aws_getenv_fn env, void *ctx, const char *a, const char *b)
{
    const char *v = env(ctx, a);
    if ((!v || !*v) && b)
        v = env(ctx, b);
    return v && *v ? v : NULL;
}

/* Moves the profile's credentials into out; -1 when the key lacks its secret. */
static int take_creds(tf_aws_config *out, ini_profile *p, const char *name, const char *source, tf_err *err)
{
    if (!p->access_key && !p->secret_key)
        return 0;
    if (!p->access_key || !p->secret_key)
        return tf_err_set(err, "%s: profile \"%s\" has %s but no %s", name, out->profile,
                          p->access_key ? "aws_access_key_id" : "aws_secret_access_key",
                          p->access_key ? "aws_secret_access_key" : "aws_access_key_id");
    out->access_key = p->access_key;
    out->secret_key = p->secret_key;
    out->session_token = p->session_token;
    p->access_key = p->secret_key = p->session_token = NULL;
    out->source = source;
    return 0;
}

int tf_aws_resolve(tf_aws_config *out, tf_aws_getenv_fn env, void *env_ctx, const char *cred_text,
                   const char *cred_name, const char *config_text, const char *config_name, tf_err *err)
{
    memset(out, 0, sizeof *out);
    const char *named = first_env(env, env_ctx, "AWS_PROFILE", "AWS_DEFAULT_PROFILE");
    out->profile = tf_xstrdup(named ? named : "default");
    ini_profile cp = { 0 }, fp = { 0 };
    int rc = -1;
    if (cred_text && parse_ini(cred_text, cred_name, out->profile, false, &cp, err) != 0)
        goto done;
    if (config_text && parse_ini(config_text, config_name, out->profile, true, &fp, err) != 0)
        goto done;
    const char *ak = first_env(env, env_ctx, "AWS_ACCESS_KEY_ID", NULL);
    const char *sk = first_env(env, env_ctx, "AWS_SECRET_ACCESS_KEY", NULL);
    if (ak || sk) {
        if (!ak || !sk) {
            tf_err_set(err, "%s is set but %s is not", ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                       ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
            goto done;
        }
        out->access_key = tf_xstrdup(ak);
        out->secret_key = tf_xstrdup(sk);
        out->session_token = dup_or_null(first_env(env, env_ctx, "AWS_SESSION_TOKEN", NULL));
        out->source = "environment";
    } else if (named && !cp.found && !fp.found) {
        tf_err_set(err, "AWS profile \"%s\" (AWS_PROFILE) is in neither %s nor %s", out->profile, cred_name,
                   config_name);
        goto done;
    } else if (take_creds(out, &cp, cred_name, "credentials file", err) != 0 ||
               (!out->access_key && take_creds(out, &fp, config_name, "config file", err) != 0)) {
        goto done;
    }
    const char *region = first_env(env, env_ctx, "AWS_REGION", "AWS_DEFAULT_REGION");
    out->region = dup_or_null(region ? region : fp.region);
    const char *ep = first_env(env, env_ctx, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    out->endpoint = dup_or_null(ep ? ep : fp.endpoint);
    out->path_style = fp.addressing_style && strcmp(fp.addressing_style, "path") == 0;
    rc = 0;
done:
    profile_free(&cp);
    profile_free(&fp);
    return rc;
}

void tf_aws_config_free(tf_aws_config *c)
{
    if (!c)
        return;
    free(c->access_key);
    wipe_free(c->secret_key);
    wipe_free(c->session_token);
    free(c->region);
    free(c->endpoint);
    free(c->profile);
    memset(c, 0, sizeof *c);
}

/* ---- the real environment and files ------------------------------------- */

static const char *real_getenv(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

/* The file's text, NULL when it does not exist; -1 on another error. */
static int slurp(const char *path, char **text, tf_err *err)
{
    *text = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : tf_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    tf_buf b = { 0 };
    char tmp[4096];
    ssize_t n;
    while ((n = read(fd, tmp, sizeof tmp)) > 0)
        tf_buf_append(&b, tmp, (size_t)n);
    int e = errno;
    close(fd);
    if (n < 0) {
        tf_buf_free(&b);
        return tf_err_set(err, "%s: read error: %s", path, strerror(e));
    }
    tf_buf_putc(&b, '\0');
    *text = b.p;
    return 0;
}

static char *home_path(const char *env_name, const char *rel)
{
    const char *v = getenv(env_name);
    if (v && *v)
        return tf_xstrdup(v);
    const char *home = getenv("HOME");
    return tf_xasprintf("%s/%s", home && *home ? home : ".", rel);
}

int tf_aws_load(tf_aws_config *out, tf_err *err)
{
    memset(out, 0, sizeof *out);
    char *cred_path = home_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    char *config_path = home_path("AWS_CONFIG_FILE", ".aws/config");
    char *cred = NULL, *conf = NULL;
    int rc = -1;
    if (slurp(cred_path, &cred, err) == 0 && slurp(config_path, &conf, err) == 0)
        rc = tf_aws_resolve(out, real_getenv, NULL, cred, cred_path, conf, config_path, err);
    wipe_free(cred);
    wipe_free(conf);
    free(cred_path);
    free(config_path);
    return rc;
}
