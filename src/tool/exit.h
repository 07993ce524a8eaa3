/* exit.h: tracefill's exit statuses, the only place they are defined
 * (documented in doc/tracefill.1; tests/cli/docs.sh checks the two agree). */
#ifndef TF_EXIT_H
#define TF_EXIT_H

enum {
    TF_EXIT_OK = 0,
    TF_EXIT_FAILURE = 1,     /* fatal: output/backend refused, I/O error */
    TF_EXIT_USAGE = 2,       /* bad command line or configuration */
    TF_EXIT_REJECTS = 3,     /* finished; some records were rejected (see the rejects file) */
    TF_EXIT_INPUT_ERRORS = 4,/* finished; some inputs were unreadable or corrupt part-way, or no
                                record at all was read (unless --allow-empty) */
    TF_EXIT_INTERRUPTED = 75,/* stopped by a signal; the checkpoint allows resuming (EX_TEMPFAIL) */
    TF_EXIT_SIGNAL_BASE = 128 /* + the signal: stopped by a signal with no checkpoint to resume from */
};

#endif
