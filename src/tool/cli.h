/* cli.h: command-line parsing and subcommand dispatch. */
#ifndef TF_CLI_H
#define TF_CLI_H

#include <stddef.h>

int tf_cli_main(int argc, char **argv);
/* NULL when the option table is sorted by long name (bsearch needs it) and no
 * short option is used twice; else the first offending option's name. */
const char *tf_cli_table_check(void);
/* The name among names within two edits of word (or starting with it, for
 * words of 4 letters or more), for "did you mean"; NULL when none is close. */
const char *tf_cli_closest(const char *word, const char *const *names, size_t n);

#endif
