/* cli.h: command-line parsing and subcommand dispatch. */
#ifndef TF_CLI_H
#define TF_CLI_H

int tf_cli_main(int argc, char **argv);
/* NULL when the option table is sorted by long name (bsearch needs it) and no
 * short option is used twice; else the first offending option's name. */
const char *tf_cli_table_check(void);

#endif
