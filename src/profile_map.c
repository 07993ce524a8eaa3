/* profile_map.c: mapping-file profiles (placeholder until the mapping
 * language lands; see issue #4). */
#include "config.h"
#include "profile.h"

tf_profile *tf_profile_mapfile_new(const tf_map_env *env, const char *path, char **err)
{
    *err = tf_xasprintf("%s: mapping files are not supported yet", path);
    return NULL;
}
