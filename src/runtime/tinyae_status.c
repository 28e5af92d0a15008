/*
 * tinyae_status.c - the status strings of the freestanding tinyae runtime,
 * shared by every number format. A file of its own so that each format's
 * runtime file (tinyae_f32.c, tinyae_int8.c) can be shipped without the
 * others: every export copies tinyae.h, this file and its format's file.
 *
 * Constraints: C99, -ffreestanding, no malloc, no stdio, no global state.
 * Compile it as C (the table uses designated initialisers, which C++ lacks).
 */
#include "tinyae.h"

static const char *const tinyae_status_strings[] = {
    [TINYAE_OK] = "ok",
    [TINYAE_ERR_NULL_ARGUMENT] = "a required pointer is NULL",
    [TINYAE_ERR_BAD_VERSION] = "model format version differs from TINYAE_FORMAT_VERSION",
    [TINYAE_ERR_BAD_MODEL] = "inconsistent model (layer sizes, chaining or activation)",
    [TINYAE_ERR_SCRATCH_TOO_SMALL] = "scratch buffer smaller than the model needs",
};

/* C99 has no _Static_assert: an array of size -1 fails to compile if a status
 * was added to the enum without a string here. */
typedef char tinyae_status_strings_complete
    [(sizeof tinyae_status_strings / sizeof tinyae_status_strings[0] == TINYAE_STATUS_COUNT) ? 1 : -1];

const char *tinyae_status_string(tinyae_status status)
{
    if ((unsigned)status >= (unsigned)TINYAE_STATUS_COUNT || tinyae_status_strings[status] == NULL) {
        return "unknown status";
    }
    return tinyae_status_strings[status];
}
