/* awscreds.h: AWS credentials, region and endpoint, resolved the way the AWS
 * CLI does for the cases tracefill supports:
 *   credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN),
 *                else the profile's aws_access_key_id / aws_secret_access_key /
 *                aws_session_token in the credentials file, else in the config file;
 *   profile:     AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default";
 *   region:      AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region;
 *   endpoint:    AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else the profile's
 *                endpoint_url (the caller lets --s3-endpoint win over all three);
 *   path style:  the profile's "s3 =" sub-section "addressing_style = path".
 * Files: AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials) and
 * AWS_CONFIG_FILE (default ~/.aws/config); a missing file is no error.
 * tf_aws_resolve is pure (environment and file texts are passed in) so tests
 * need no files; tf_aws_load reads the real ones. No credentials at all is
 * not an error (the caller may send unsigned requests).
 * Ownership: the tf_aws_config owns its strings; tf_aws_config_free wipes
 * the secrets before freeing them. Secrets never appear in errors; an error
 * names the file and line:
 *     "/home/me/.aws/credentials:7: not a \"key = value\" line"
 * Call from one thread at a time per tf_aws_config. */
#ifndef TF_AWSCREDS_H
#define TF_AWSCREDS_H

#include "common/err.h"

#include <stdbool.h>

typedef struct {
    char *access_key;    /* NULL when there are no credentials */
    char *secret_key;    /* secret */
    char *session_token; /* secret; NULL without one */
    char *region;        /* NULL when none is configured */
    char *endpoint;      /* NULL when none is configured */
    bool path_style;     /* addressing_style = path in the profile */
    char *profile;       /* the profile looked at */
    const char *source;  /* where the credentials came from: "environment",
                            "credentials file", "config file", or NULL */
} tf_aws_config;

/* Looks up an environment variable; NULL when unset. */
typedef const char *(*tf_aws_getenv_fn)(void *ctx, const char *name);

/* cred_text/config_text: the files' contents, NULL when absent; the names
 * are only used in messages. 0, or -1 with err set (a malformed file, a
 * profile named by AWS_PROFILE that neither file has, a key without its
 * secret). *out is zeroed first and must be freed either way. */
int tf_aws_resolve(tf_aws_config *out, tf_aws_getenv_fn env, void *env_ctx, const char *cred_text,
                   const char *cred_name, const char *config_text, const char *config_name, tf_err *err);
/* The same from the process environment and the real files. */
int tf_aws_load(tf_aws_config *out, tf_err *err);
void tf_aws_config_free(tf_aws_config *c);

#endif
