/* unit/cli.c: the option table that cli.c searches with bsearch is sorted by
 * long name and uses no short option twice (an unsorted table makes bsearch
 * miss options, which then read as "unknown"). */
#include "config.h"
#include "tap.h"
#include "tool/cli.h"

int main(void)
{
    const char *bad = tf_cli_table_check();
    ok(bad == NULL, "the option table is sorted and short options are unique%s%s", bad ? ": " : "", bad ? bad : "");
    return done_testing();
}
