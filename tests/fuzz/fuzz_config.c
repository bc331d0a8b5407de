/*  fuzz_config.c - libFuzzer target: config files (`-c FILE`, SPEC 3).

    Each input is a ZPL config file given to fsh_args_new with an option
    table like the programs' (options with and without an argument, and a
    --no-X negation), followed by the usual getopt_long pass over the words.
    Properties: a file is refused or turned into well-formed words: each
    config key a known option other than --config, written `--name`,
    followed by its value when it takes one; the command-line words come
    last, unchanged, so that they win.
*/
#include "fuzz.h"

//  The short options, for fsh_args_new and the parse after it
#define S_SHORTS "c:l:u:d:RNM:vh"

static const struct option s_options [] = {
    { "config",      required_argument, NULL, 'c' },
    { "listen",      required_argument, NULL, 'l' },
    { "user",        required_argument, NULL, 'u' },
    { "dir",         required_argument, NULL, 'd' },
    { "register",    no_argument,       NULL, 'R' },
    { "no-register", no_argument,       NULL, 'N' },
    { "max-message", required_argument, NULL, 'M' },
    { "verbose",     no_argument,       NULL, 'v' },
    { "help",        no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

//  Words after those the config file gives: -c FILE and two more.
#define TAIL_WORDS 4

static const struct option *
s_find (const char *name)
{
    for (const struct option *option = s_options; option->name; option++)
        if (streq (option->name, name))
            return option;
    return NULL;
}

static void
s_check_words (int argc, char **argv, char **given)
{
    FUZZ_ASSERT (argc >= 1 + TAIL_WORDS && argv [argc] == NULL);
    FUZZ_ASSERT (streq (argv [0], given [0]));
    for (int i = 0; i < TAIL_WORDS; i++)
        FUZZ_ASSERT (streq (argv [argc - TAIL_WORDS + i], given [1 + i]));
    for (int i = 1; i < argc - TAIL_WORDS; i++) {
        FUZZ_ASSERT (strncmp (argv [i], "--", 2) == 0);
        const struct option *option = s_find (argv [i] + 2);
        FUZZ_ASSERT (option && !streq (option->name, "config"));
        if (option->has_arg == required_argument) {
            i++;
            FUZZ_ASSERT (i < argc - TAIL_WORDS);
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *given [] = {
        "fshare-fuzz", "-c", (char *) fuzz_file (data, size), "--verbose", "--user=alice", NULL
    };
    fsh_args_t *args = fsh_args_new ("fshare-fuzz", 1 + TAIL_WORDS, given, s_options,
                                     S_SHORTS);
    if (!args)
        return 0;
    int argc = fsh_args_argc (args);
    char **argv = fsh_args_argv (args);
    s_check_words (argc, argv, given);
    //  And what every program does next (glibc: optind 0 resets getopt).
    optind = 0;
    opterr = 0;
    while (getopt_long (argc, argv, S_SHORTS, s_options, NULL) != -1)
        ;
    fsh_args_destroy (&args);
    FUZZ_ASSERT (args == NULL);
    return 0;
}
