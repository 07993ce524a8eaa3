#include "config.h"
#include "cli.h"
int tf_cli_main(int argc, char **argv) { return 0; }
