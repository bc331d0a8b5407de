/*  fuzz_accounts.c - libFuzzer target: the broker's account file.

    Each input is an account file, loaded with accounts_load over a table
    that already holds one good account; each of its lines, and what follows
    each line's first ':', also goes through passhash_valid.
    Properties (SPEC 6, and Mosquitto's CVE-2018-12551 in mind): a file
    either loads whole or is refused with an error naming the file and the
    line, leaving the accounts loaded before in force; a file that loads
    holds exactly the accounts its lines spell, each with a valid name and
    an argon2id hash; an accepted hash string is short and harmless.
*/
#include "fuzz.h"
#include "accounts.h"

#define KEEPER "keeper"

//  The good account file every input is loaded over (built once: hashing
//  is what a fuzzer must not do per input).
static char *s_good_file;
static char *s_good_hash;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    s_good_hash = passhash_new ("secret", PASSHASH_COST_MIN);
    FUZZ_ASSERT (s_good_hash);
    s_good_file = zsys_sprintf ("# kept\n" KEEPER ":%s\n", s_good_hash);
    return 0;
}

static void
s_check_hash (const char *hash)
{
    if (!passhash_valid (hash))
        return;
    FUZZ_ASSERT (strlen (hash) < 128);
    FUZZ_ASSERT (strncmp (hash, "$argon2id$", 10) == 0);
    for (const char *c = hash; *c; c++)
        FUZZ_ASSERT (isalnum ((unsigned char) *c) || strchr ("$,=+/", *c));
}

//  Every line, and its part after the first ':', as a C string.
static void
s_check_lines (const uint8_t *data, size_t size)
{
    size_t start = 0;
    while (start < size) {
        const uint8_t *newline = (const uint8_t *) memchr (data + start, '\n', size - start);
        size_t end = newline? (size_t) (newline - data): size;
        char *line = fuzz_strndup (data + start, end - start);
        s_check_hash (line);
        char *colon = strchr (line, ':');
        if (colon)
            s_check_hash (colon + 1);
        free (line);
        start = end + 1;
    }
}

//  The table loaded from data must hold exactly the accounts of its lines.
static void
s_check_loaded (accounts_t *accounts, const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup (data, size);
    FUZZ_ASSERT (strlen (text) == size);       //  a NUL byte is refused
    size_t users = 0;
    char *line = text;
    while (line) {
        char *newline = strchr (line, '\n');
        if (newline)
            *newline = 0;
        FUZZ_ASSERT (strlen (line) <= 512);
        if (*line && *line != '#') {
            char *colon = strchr (line, ':');
            FUZZ_ASSERT (colon);
            *colon = 0;
            FUZZ_ASSERT (!fsh_user_check (line));
            FUZZ_ASSERT (passhash_valid (colon + 1));
            const char *hash = accounts_lookup (accounts, line);
            FUZZ_ASSERT (hash && streq (hash, colon + 1));
            users++;
        }
        line = newline? newline + 1: NULL;
    }
    FUZZ_ASSERT (accounts_size (accounts) == users);
    free (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *path = fuzz_file ((const uint8_t *) s_good_file, strlen (s_good_file));
    accounts_t *accounts = accounts_new (path);
    char *error = NULL;
    FUZZ_ASSERT (accounts_load (accounts, &error) == 0 && accounts_size (accounts) == 1);

    fuzz_file (data, size);
    int rc = accounts_load (accounts, &error);
    if (rc == 0) {
        FUZZ_ASSERT (error == NULL);
        s_check_loaded (accounts, data, size);
    }
    else {
        FUZZ_ASSERT (rc == -1 && error);
        //  "PATH:LINE: reason"
        FUZZ_ASSERT (strncmp (error, path, strlen (path)) == 0 && error [strlen (path)] == ':');
        FUZZ_ASSERT (accounts_size (accounts) == 1);
        const char *kept = accounts_lookup (accounts, KEEPER);
        FUZZ_ASSERT (kept && streq (kept, s_good_hash));
        zstr_free (&error);
    }
    accounts_destroy (&accounts);
    s_check_lines (data, size);
    return 0;
}
