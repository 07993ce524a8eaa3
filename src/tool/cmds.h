/* cmds.h: the subcommands, each in its own cmd_<name>.c. Each takes the
 * parsed options and returns an exit status (tool/exit.h); they are the only
 * code that prints (through tool/msg.h and to stdout). `check` is in
 * cmd_check.h with the hints it shares with its tests. */
#ifndef TF_CMDS_H
#define TF_CMDS_H

#include "tool/opts.h"

int tf_cmd_run(const tf_opts *o);
int tf_cmd_inspect(const tf_opts *o);
int tf_cmd_status(const tf_opts *o);
int tf_cmd_verify(const tf_opts *o);
int tf_cmd_report(const tf_opts *o);

#endif
