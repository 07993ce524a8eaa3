/* cmd_report.c: placeholder */
#include "config.h"
#include "tool/cmds.h"
#include "tool/exit.h"
int tf_cmd_report(const tf_opts *o)
{
    (void)o;
    return TF_EXIT_USAGE;
}
