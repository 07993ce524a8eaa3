/* unit-awscreds.c: where credentials, region and endpoint come from (the
 * environment over the credentials file over the config file), profiles,
 * the config file's "[profile NAME]" headers and nested "s3 =" section,
 * and malformed files named by line without showing their contents. */
#include "config.h"
#include "input/remote/awscreds.h"
#include "tap.h"

typedef struct {
    const char *kv[16]; /* name, value, name, value ..., NULL */
} fake_env;

static const char *fake_getenv(void *ctx, const char *name)
{
    const fake_env *e = ctx;
    for (size_t i = 0; e->kv[i]; i += 2)
        if (strcmp(e->kv[i], name) == 0)
            return e->kv[i + 1];
    return NULL;
}

static const char creds[] = "# comment\n"
                            "[default]\n"
                            "aws_access_key_id = AKIDDEFAULT\n"
                            "aws_secret_access_key = secret-default\n"
                            "\n"
                            "[r2]\n"
                            "aws_access_key_id=AKIDR2\r\n"
                            "aws_secret_access_key=secret r2 with spaces  \r\n"
                            "aws_session_token = token-r2\n";

static const char config[] = "[default]\n"
                             "region = eu-west-1\n"
                             "[profile r2]\n"
                             "region = auto\n"
                             "endpoint_url = https://acct.r2.cloudflarestorage.com\n"
                             "s3 =\n"
                             "  addressing_style = path\n"
                             "output = json\n"
                             "[profile cfgonly]\n"
                             "aws_access_key_id = AKIDCFG\n"
                             "aws_secret_access_key = secret-cfg\n"
                             "[r2]\n"
                             "region = wrong: in the config file this is not profile r2\n";

static int resolve(tf_aws_config *c, fake_env *e, const char *cr, const char *cf, tf_err *err)
{
    return tf_aws_resolve(c, fake_getenv, e, cr, "creds", cf, "config", err);
}

static void check_precedence(void)
{
    tf_aws_config c;
    tf_err err = { "" };
    fake_env none = { { NULL } };
    ok(resolve(&c, &none, creds, config, &err) == 0, "default profile resolves");
    is_str(c.access_key, "AKIDDEFAULT", "default: key from the credentials file");
    is_str(c.secret_key, "secret-default", "default: secret from the credentials file");
    ok(c.session_token == NULL, "default: no session token");
    is_str(c.region, "eu-west-1", "default: region from the config file");
    ok(c.endpoint == NULL && !c.path_style, "default: no endpoint, virtual-hosted addressing");
    is_str(c.source, "credentials file", "default: source named");
    tf_aws_config_free(&c);

    fake_env r2 = { { "AWS_PROFILE", "r2", NULL } };
    ok(resolve(&c, &r2, creds, config, &err) == 0, "AWS_PROFILE=r2 resolves");
    is_str(c.profile, "r2", "r2: profile name");
    is_str(c.access_key, "AKIDR2", "r2: key (CRLF line ends)");
    is_str(c.secret_key, "secret r2 with spaces", "r2: secret, inner spaces kept, trailing ones trimmed");
    is_str(c.session_token, "token-r2", "r2: session token");
    is_str(c.region, "auto", "r2: region from [profile r2], not [r2] of the config file");
    is_str(c.endpoint, "https://acct.r2.cloudflarestorage.com", "r2: endpoint_url");
    ok(c.path_style, "r2: s3 = / addressing_style = path");
    tf_aws_config_free(&c);

    fake_env envkeys = { { "AWS_PROFILE", "r2", "AWS_ACCESS_KEY_ID", "AKIDENV", "AWS_SECRET_ACCESS_KEY", "secret-env",
                           "AWS_SESSION_TOKEN", "token-env", "AWS_REGION", "us-west-2", "AWS_DEFAULT_REGION",
                           "ignored", "AWS_ENDPOINT_URL", "http://127.0.0.1:9000", NULL } };
    ok(resolve(&c, &envkeys, creds, config, &err) == 0, "environment resolves");
    is_str(c.access_key, "AKIDENV", "env: key wins over the profile");
    is_str(c.secret_key, "secret-env", "env: secret");
    is_str(c.session_token, "token-env", "env: session token");
    is_str(c.region, "us-west-2", "env: AWS_REGION wins over AWS_DEFAULT_REGION and the profile");
    is_str(c.endpoint, "http://127.0.0.1:9000", "env: AWS_ENDPOINT_URL wins over endpoint_url");
    is_str(c.source, "environment", "env: source named");
    tf_aws_config_free(&c);

    fake_env s3ep = { { "AWS_ENDPOINT_URL", "http://generic", "AWS_ENDPOINT_URL_S3", "http://s3-only",
                        "AWS_DEFAULT_REGION", "ap-south-1", NULL } };
    ok(resolve(&c, &s3ep, NULL, NULL, &err) == 0, "no files at all resolves");
    is_str(c.endpoint, "http://s3-only", "AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL");
    is_str(c.region, "ap-south-1", "AWS_DEFAULT_REGION when AWS_REGION is unset");
    ok(c.access_key == NULL && c.source == NULL, "no credentials anywhere: none, and no error");
    tf_aws_config_free(&c);

    fake_env cfg = { { "AWS_PROFILE", "cfgonly", NULL } };
    ok(resolve(&c, &cfg, creds, config, &err) == 0, "credentials only in the config file resolve");
    is_str(c.access_key, "AKIDCFG", "config-file credentials");
    is_str(c.source, "config file", "config-file source named");
    tf_aws_config_free(&c);
}

static void check_errors(void)
{
    tf_aws_config c;
    tf_err err = { "" };
    fake_env missing = { { "AWS_PROFILE", "nope", NULL } };
    ok(resolve(&c, &missing, creds, config, &err) == -1 && strstr(err.msg, "\"nope\"") &&
           strstr(err.msg, "creds") && strstr(err.msg, "config"),
       "an AWS_PROFILE in neither file: %s", err.msg);
    tf_aws_config_free(&c);

    fake_env half = { { "AWS_ACCESS_KEY_ID", "AKID", NULL } };
    ok(resolve(&c, &half, NULL, NULL, &err) == -1 && strstr(err.msg, "AWS_SECRET_ACCESS_KEY is not"),
       "a key without its secret: %s", err.msg);
    tf_aws_config_free(&c);

    fake_env none = { { NULL } };
    static const char nosecret[] = "[default]\naws_access_key_id = AKID\n";
    ok(resolve(&c, &none, nosecret, NULL, &err) == -1 && strstr(err.msg, "no aws_secret_access_key"),
       "a profile key without its secret: %s", err.msg);
    tf_aws_config_free(&c);

    static const char bad[] = "[default]\naws_access_key_id = AKID\nwJalrXUtnFEMI-leaked-secret\n";
    ok(resolve(&c, &none, bad, NULL, &err) == -1 && strstr(err.msg, "creds:3:"), "a malformed line is named: %s",
       err.msg);
    ok(strstr(err.msg, "leaked") == NULL, "the malformed line's text is not shown");
    tf_aws_config_free(&c);

    static const char badsec[] = "[default\n";
    ok(resolve(&c, &none, NULL, badsec, &err) == -1 && strstr(err.msg, "config:1:"),
       "a section header without ']' is named: %s", err.msg);
    tf_aws_config_free(&c);
}

int main(void)
{
    check_precedence();
    check_errors();
    return done_testing();
}
