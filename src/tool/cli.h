/* cli.h: command-line parsing and subcommand dispatch. */
#ifndef TF_CLI_H
#define TF_CLI_H

int tf_cli_main(int argc, char **argv);

#endif
