/* main.c: the thin entry point; all work lives in libtracefill. */
#include "config.h"
#include "tool/cli.h"

int main(int argc, char **argv)
{
    return tf_cli_main(argc, argv);
}
