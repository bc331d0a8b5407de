/*  options.c - config files become command-line words. See options.h. */
#include "fshare.h"
#include "cli.h"
#include <sys/stat.h>

struct _fsh_args_t {
    zlist_t *words;         //  owned strings
    char **argv;            //  views into words, NULL-terminated
    int argc;
};

static const struct option *
s_find (const struct option *options, const char *name)
{
    for (; options->name; options++)
        if (streq (options->name, name))
            return options;
    return NULL;
}

static bool
s_truthy (const char *value)
{
    return streq (value, "1") || streq (value, "true") || streq (value, "yes")
        || streq (value, "on");
}

static bool
s_falsy (const char *value)
{
    return streq (value, "0") || streq (value, "false") || streq (value, "no")
        || streq (value, "off");
}

//  zlist_autofree copies what it is given: free our formatted word after.
static void
s_append (zlist_t *words, char *word)
{
    zlist_append (words, word);
    zstr_free (&word);
}

//  Appends the words for one config key (on `line` of `file`); -1 when
//  the key is not an option.
static int
s_add_key (zlist_t *words, const struct option *options, zconfig_t *item, const char *file,
           size_t line)
{
    const char *name = zconfig_name (item);
    const char *value = zconfig_value (item);
    if (!value)
        value = "";
    const struct option *option = s_find (options, name);
    if (!option || streq (name, "config")) {
        fprintf (stderr, "error: %s:%zu: unknown option '%s'\n", file, line, name);
        return -1;
    }
    //  Keys are one level deep: a nested line would otherwise be dropped
    if (zconfig_child (item)) {
        fprintf (stderr, "error: %s:%zu: option '%s' has nested lines\n", file, line, name);
        return -1;
    }
    if (option->has_arg == no_argument) {
        //  A typo ("ture") must not quietly mean "false"
        if (!s_truthy (value) && !s_falsy (value)) {
            fprintf (stderr, "error: %s:%zu: '%s' is neither true nor false for '%s'\n",
                     file, line, value, name);
            return -1;
        }
        char *negated = zsys_sprintf ("no-%s", name);
        if (s_truthy (value))
            s_append (words, zsys_sprintf ("--%s", name));
        else
        if (s_find (options, negated))
            s_append (words, zsys_sprintf ("--%s", negated));
        zstr_free (&negated);
        return 0;
    }
    s_append (words, zsys_sprintf ("--%s", name));
    zlist_append (words, (void *) value);
    return 0;
}

//  --------------------------------------------------------------------------
//  Lines: zconfig says neither where a file is malformed nor where a key
//  is, and a key given twice would be two options, the second quietly
//  winning. ZPL is read line by line: a key is a line that starts in
//  its first column and is neither blank nor a comment.

//  The line (from 1) of each key, in order; their count in *count.
static size_t *
s_key_lines (const char *data, size_t size, size_t *count)
{
    size_t *lines = NULL;
    *count = 0;
    size_t line = 1, capacity = 0;
    for (size_t at = 0; at < size; line++) {
        const char *end = memchr (data + at, '\n', size - at);
        size_t length = end? (size_t) (end - data - at): size - at;
        char first = length? data [at]: 0;
        if (first && first != '#' && first != ' ' && first != '\t' && first != '\r') {
            if (*count == capacity) {
                capacity = capacity? capacity * 2: 16;
                lines = (size_t *) realloc (lines, capacity * sizeof (size_t));
                assert (lines);
            }
            lines [(*count)++] = line;
        }
        at += length + 1;
    }
    return lines;
}

//  Whether the file's first `lines` lines parse.
static bool
s_prefix_parses (const char *data, size_t size, size_t lines)
{
    size_t at = 0;
    for (size_t line = 0; line < lines && at < size; line++) {
        const char *end = memchr (data + at, '\n', size - at);
        at = end? (size_t) (end - data) + 1: size;
    }
    zchunk_t *chunk = zchunk_new (data, at);
    zconfig_t *config = chunk? zconfig_chunk_load (chunk): NULL;
    bool parses = config != NULL || at == 0;
    zconfig_destroy (&config);
    zchunk_destroy (&chunk);
    return parses;
}

//  The first line that does not parse (a malformed file), found by halves:
//  a prefix that holds it no longer parses.
static size_t
s_malformed_line (const char *data, size_t size)
{
    size_t good = 0, bad = 1;
    for (size_t at = 0; at < size; at++)
        bad += data [at] == '\n';
    while (bad - good > 1) {
        size_t middle = good + (bad - good) / 2;
        if (s_prefix_parses (data, size, middle))
            good = middle;
        else
            bad = middle;
    }
    return bad;
}

//  The words of a parsed file's keys; -1 (said) when one is wrong or twice.
static int
s_add_keys (zlist_t *words, const struct option *options, zconfig_t *config,
            const char *data, size_t size, const char *file)
{
    size_t count;
    size_t *lines = s_key_lines (data, size, &count);
    zhashx_t *seen = zhashx_new ();         //  key -> its line, as a pointer
    int rc = 0;
    size_t index = 0;
    for (zconfig_t *item = zconfig_child (config); item && rc == 0;
         item = zconfig_next (item), index++) {
        size_t line = index < count? lines [index]: 0;
        size_t first = (size_t) (uintptr_t) zhashx_lookup (seen, zconfig_name (item));
        if (first) {
            fprintf (stderr, "error: %s:%zu: option '%s' given twice (first on line %zu)\n",
                     file, line, zconfig_name (item), first);
            rc = -1;
        }
        else {
            zhashx_insert (seen, zconfig_name (item), (void *) (uintptr_t) (line? line: 1));
            rc = s_add_key (words, options, item, file, line);
        }
    }
    zhashx_destroy (&seen);
    free (lines);
    return rc;
}

//  The config file the command line names. getopt_long itself finds it,
//  with the program's own table and short options, so that every spelling
//  it takes names the file (--config=FILE, -cFILE, -vcFILE, an abbreviation
//  such as --conf FILE) and a word that is another option's argument
//  (--dir -c) or comes after "--" does not. The last -c wins, as the real
//  parse would have it. On a copy of argv: GNU getopt permutes what it scans.
static const char *
s_config_file (int argc, char **argv, const struct option *options, const char *shorts)
{
    char **copy = (char **) zmalloc (sizeof (char *) * (argc + 1));
    memcpy (copy, argv, sizeof (char *) * argc);
    const char *file = NULL;
    opterr = 0;
    optind = 0;
    int opt;
    while ((opt = getopt_long (argc, copy, shorts, options, NULL)) != -1)
        if (opt == 'c')
            file = optarg;      //  points into argv's strings, not the copy
    optind = 0;
    free (copy);
    return file;
}

fsh_args_t *
fsh_args_new (int argc, char **argv, const struct option *options, const char *shorts)
{
    fsh_args_t *self = (fsh_args_t *) zmalloc (sizeof (fsh_args_t));
    self->words = zlist_new ();
    zlist_autofree (self->words);
    zlist_append (self->words, argv [0]);
    const char *file = s_config_file (argc, argv, options, shorts);
    if (file) {
        //  Only a regular file: zchunk_slurp reads a directory or a pipe
        //  as an empty file, which would quietly give no options at all
        struct stat st;
        if (stat (file, &st) || !S_ISREG (st.st_mode)) {
            fprintf (stderr, "error: cannot read config file %s\n", file);
            fsh_args_destroy (&self);
            return NULL;
        }
        if (st.st_size > FSH_CONFIG_MAX) {
            fprintf (stderr, "error: %s is larger than %d bytes: not a config file\n", file,
                     FSH_CONFIG_MAX);
            fsh_args_destroy (&self);
            return NULL;
        }
        //  zconfig_load leaks its zfile on a malformed file (CZMQ 4.2.1):
        //  parse from a chunk we own instead.
        zchunk_t *chunk = zchunk_slurp (file, FSH_CONFIG_MAX);
        const char *data = chunk? (const char *) zchunk_data (chunk): "";
        size_t size = chunk? zchunk_size (chunk): 0;
        //  zconfig stops reading a line at a NUL byte: the rest of it
        //  would be lost without a word
        const char *nul = size? memchr (data, 0, size): NULL;
        zconfig_t *config = chunk && !nul? zconfig_chunk_load (chunk): NULL;
        int rc = 0;
        if (!chunk) {
            fprintf (stderr, "error: cannot read config file %s\n", file);
            rc = -1;
        }
        else
        if (!config) {
            size_t line = 1;
            for (const char *at = data; nul && at < nul; at++)
                line += *at == '\n';
            if (!nul)
                line = s_malformed_line (data, size);
            fprintf (stderr, "error: %s:%zu: %s: not a valid ZPL config file\n", file, line,
                     nul? "a NUL byte": "malformed line");
            rc = -1;
        }
        else
            rc = s_add_keys (self->words, options, config, data, size, file);
        zconfig_destroy (&config);
        zchunk_destroy (&chunk);
        if (rc) {
            fsh_args_destroy (&self);
            return NULL;
        }
    }
    for (int i = 1; i < argc; i++)
        zlist_append (self->words, argv [i]);
    self->argc = (int) zlist_size (self->words);
    self->argv = (char **) zmalloc (sizeof (char *) * (self->argc + 1));
    int index = 0;
    for (char *word = (char *) zlist_first (self->words); word;
         word = (char *) zlist_next (self->words))
        self->argv [index++] = word;
    return self;
}

void
fsh_args_destroy (fsh_args_t **self_p)
{
    if (*self_p) {
        fsh_args_t *self = *self_p;
        zlist_destroy (&self->words);
        free (self->argv);
        free (self);
        *self_p = NULL;
    }
}

int
fsh_args_argc (fsh_args_t *self)
{
    return self->argc;
}

char **
fsh_args_argv (fsh_args_t *self)
{
    return self->argv;
}

int
fsh_options_version (const char *program)
{
    printf ("%s %s\n", program, FSHARE_VERSION);
    return 0;
}

int
fsh_options_refused (const char *program, int opt, char **argv)
{
    if (opt == ':')
        return fsh_usage_error (program, "option '%s' needs an argument", argv [optind - 1]);
    return fsh_usage_error (program, "unknown option '%s'", argv [optind - 1]);
}

int
fsh_options_parse (const char *program, int argc, char **argv, const struct option *longs,
                   const char *shorts, fsh_option_fn *handler, void *arg)
{
    fsh_args_t *args = fsh_args_new (argc, argv, longs, shorts);
    if (!args)
        return fsh_usage_error (program, "%s", "bad config file");
    argc = args->argc;
    argv = args->argv;
    int rc = -1;
    opterr = 0;
    optind = 0;
    int opt;
    while (rc == -1 && (opt = getopt_long (argc, argv, shorts, longs, NULL)) != -1) {
        if (opt == ':' || opt == '?')
            rc = fsh_options_refused (program, opt, argv);
        else
        if (opt != 'c')         //  -c/--config: read by fsh_args_new
            rc = handler (opt, optarg, arg);
    }
    if (rc == -1 && optind < argc)
        rc = fsh_usage_error (program, "unexpected argument '%s'", argv [optind]);
    fsh_args_destroy (&args);
    return rc;
}
