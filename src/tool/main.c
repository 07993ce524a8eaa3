/* main.c: the thin entry point; all work lives in libtracefill. */
#include "config.h"
#include "tool/cli.h"

#include <sys/prctl.h>
#include <sys/resource.h>

/* Tokens, passwords and S3 secret keys live in this process's memory: no
 * core dump may carry them to disk, and no other process of the same user
 * may read them with ptrace (gdb -p, /proc/PID/mem). */
static void keep_memory_private(void)
{
    struct rlimit none = { 0, 0 };
    (void)setrlimit(RLIMIT_CORE, &none);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    /* (LeakSanitizer stops the process with ptrace from a helper task, which
     * an undumpable process refuses unless run as root.) */
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

int main(int argc, char **argv)
{
    keep_memory_private();
    return tf_cli_main(argc, argv);
}
