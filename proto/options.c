/*  options.c - config files become command-line words. See options.h. */
#include "fshare.h"
#include "cli.h"
#include <sys/stat.h>
#include <fcntl.h>

//  The last failure of fsh_args_new, unescaped (fsh_args_failure): a
//  program's JSON says the same reason as its stderr line
static __thread char s_failure [8192];

//  Says a config file's failure (its one line, escaped) and keeps its text
static void
s_fail (const char *program, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_fail (const char *program, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (s_failure, sizeof (s_failure), format, args);
    va_end (args);
    fsh_error_line (program, "%s", s_failure);
}

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
s_add_key (zlist_t *words, const struct option *options, zconfig_t *item,
           const char *program, const char *file, size_t line)
{
    const char *name = zconfig_name (item);
    const char *value = zconfig_value (item);
    if (!value)
        value = "";
    const struct option *option = s_find (options, name);
    if (!option || streq (name, "config")) {
        s_fail (program, "%s:%zu: unknown option '%s'", file, line, name);
        return -1;
    }
    //  Keys are one level deep: a nested line would otherwise be dropped
    if (zconfig_child (item)) {
        s_fail (program, "%s:%zu: option '%s' has nested lines", file, line, name);
        return -1;
    }
    if (option->has_arg == no_argument) {
        //  A typo ("ture") must not quietly mean "false"
        if (!s_truthy (value) && !s_falsy (value)) {
            s_fail (program, "%s:%zu: '%s' is neither true nor false for '%s'", file,
                            line, value, name);
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
//  Lines: zconfig_chunk_load says neither where a file is malformed nor
//  why, except through zclock_log: on stdout, the line's raw bytes (a
//  terminal's escapes), with no way to silence it. And a key given twice
//  would be two options, the second quietly winning. So the file is read
//  here first, line by line as zconfig reads it, and zconfig only ever
//  parses a file this scan found good: every malformed file is one line
//  of ours, naming the line and why.

typedef struct {
    size_t *keys;           //  the line (from 1) of each top-level key, in order
    size_t count;
    size_t capacity;
    int depth;              //  how deep the next key may be indented
} s_scan_t;

//  zconfig's: what a key's name is made of
static bool
s_is_namechar (char c)
{
    return isalnum ((unsigned char) c) || (c && strchr ("$-_@.&+/", c));
}

//  NULL when the rest of a line is blanks or a comment, else `why`
static const char *
s_line_end (const char *at, const char *why)
{
    while (isspace ((unsigned char) *at))
        at++;
    return *at == 0 || *at == '#'? NULL: why;
}

//  NULL when what follows a name is good (nothing, "= value", "= 'value'"),
//  else why not.
static const char *
s_value_problem (const char *at)
{
    while (isspace ((unsigned char) *at))
        at++;
    if (*at != '=')
        return s_line_end (at, "text after a name with no '='");
    at++;
    while (isspace ((unsigned char) *at))
        at++;
    if (*at != '"' && *at != '\'')
        return NULL;
    const char *close = strchr (at + 1, *at);
    if (!close)
        return *at == '"'? "no closing \"": "no closing '";
    return s_line_end (close + 1, "text after a quoted value");
}

static void
s_add_key_line (s_scan_t *self, size_t line)
{
    if (self->count == self->capacity) {
        self->capacity = self->capacity? self->capacity * 2: 16;
        self->keys = (size_t *) realloc (self->keys, self->capacity * sizeof (size_t));
        assert (self->keys);
    }
    self->keys [self->count++] = line;
}

//  NULL when one line (NUL-terminated, trailing blanks gone) is good ZPL,
//  else why not; the checks and their order are zconfig_chunk_load's.
static const char *
s_line_problem (s_scan_t *self, const char *text, size_t line)
{
    size_t spaces = strspn (text, " ");
    if (spaces % 4)
        return "indented by other than a multiple of 4 spaces";
    int level = (int) (spaces / 4);
    const char *name = text + spaces, *end = name;
    while (s_is_namechar (*end))
        end++;
    if (end == name)
        return s_line_end (name, "not a name (letters, digits, $-_@.&+/)");
    if (*name == '/' || end [-1] == '/')
        return "a name that starts or ends with '/'";
    const char *problem = s_value_problem (end);
    if (problem)
        return problem;
    //  A line may go one level below the key before it, no deeper
    if (level > self->depth)
        return "indented deeper than the line before allows";
    self->depth = level + 1;
    if (level == 0)
        s_add_key_line (self, line);
    return NULL;
}

//  NULL when the whole file is good ZPL (its keys' lines then in self),
//  else why not and the line in *bad_line.
static const char *
s_scan (s_scan_t *self, const char *data, size_t size, size_t *bad_line)
{
    const char *problem = NULL;
    size_t line = 1;
    for (size_t at = 0; at < size; line++) {
        const char *eoln = memchr (data + at, '\n', size - at);
        size_t length = eoln? (size_t) (eoln - data - at): size - at;
        *bad_line = line;
        //  zconfig stops reading a line at a NUL byte: the rest of it
        //  would be lost without a word
        if (memchr (data + at, 0, length))
            return "a NUL byte";
        char *text = (char *) zmalloc (length + 1);
        memcpy (text, data + at, length);
        size_t kept = length;
        while (kept && isspace ((unsigned char) text [kept - 1]))
            kept--;
        text [kept] = 0;
        problem = s_line_problem (self, text, line);
        free (text);
        if (problem)
            break;
        at += length + 1;
    }
    return problem;
}

//  The words of a parsed file's keys (their lines from the scan); -1
//  (said) when one is wrong or twice.
static int
s_add_keys (zlist_t *words, const struct option *options, zconfig_t *config,
            const s_scan_t *scan, const char *program, const char *file)
{
    zhashx_t *seen = zhashx_new ();         //  key -> its line, as a pointer
    int rc = 0;
    size_t index = 0;
    for (zconfig_t *item = zconfig_child (config); item && rc == 0;
         item = zconfig_next (item), index++) {
        size_t line = index < scan->count? scan->keys [index]: 0;
        size_t first = (size_t) (uintptr_t) zhashx_lookup (seen, zconfig_name (item));
        if (first) {
            s_fail (program, "%s:%zu: option '%s' given twice (first on line %zu)",
                            file, line, zconfig_name (item), first);
            rc = -1;
        }
        else {
            zhashx_insert (seen, zconfig_name (item), (void *) (uintptr_t) (line? line: 1));
            rc = s_add_key (words, options, item, program, file, line);
        }
    }
    zhashx_destroy (&seen);
    return rc;
}

//  Up to `size` bytes from `fd` (fewer when it shrank since fstat), or
//  NULL (errno says why)
static zchunk_t *
s_read_all (int fd, size_t size)
{
    zchunk_t *chunk = zchunk_new (NULL, size);
    if (!chunk) {
        errno = ENOMEM;
        return NULL;
    }
    while (zchunk_size (chunk) < size) {
        ssize_t got = read (fd, zchunk_data (chunk) + zchunk_size (chunk),
                            size - zchunk_size (chunk));
        if (got == 0)
            break;
        if (got > 0)
            zchunk_set (chunk, NULL, zchunk_size (chunk) + (size_t) got);
        else
        if (errno != EINTR) {
            zchunk_destroy (&chunk);
            break;
        }
    }
    return chunk;
}

//  The bytes of a config file, or NULL (said, with why). Opened first and
//  then looked at, so what is checked is what is read; non-blocking, so a
//  FIFO cannot hold the program before it is refused. Only a regular
//  file: a directory or a pipe would read as empty, quietly no options.
static zchunk_t *
s_read_file (const char *program, const char *file)
{
    const char *problem = fsh_path_problem (file);
    if (problem) {
        s_fail (program, "config file: %s", problem);
        return NULL;
    }
    zchunk_t *chunk = NULL;
    struct stat st;
    int fd = open (file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd == -1 || fstat (fd, &st))
        problem = strerror (errno);
    else
    if (!S_ISREG (st.st_mode))
        problem = S_ISDIR (st.st_mode)? strerror (EISDIR): "not a regular file";
    else
    if (st.st_size > FSH_CONFIG_MAX)
        s_fail (program, "%s is larger than %d bytes: not a config file", file,
                        FSH_CONFIG_MAX);
    else {
        chunk = s_read_all (fd, (size_t) st.st_size);
        if (!chunk)
            problem = strerror (errno);
    }
    if (fd != -1)
        close (fd);
    if (problem)
        s_fail (program, "cannot read config file %s: %s", file, problem);
    return chunk;
}

//  Whether the words of config `file` went into `words` (else said why)
static bool
s_add_file (zlist_t *words, const struct option *options, const char *program,
            const char *file)
{
    zchunk_t *chunk = s_read_file (program, file);
    if (!chunk)
        return false;
    s_scan_t scan = { NULL, 0, 0, 0 };
    size_t bad_line = 0;
    const char *problem = s_scan (&scan, (const char *) zchunk_data (chunk),
                                  zchunk_size (chunk), &bad_line);
    //  zconfig_load leaks its zfile on a malformed file (CZMQ 4.2.1):
    //  parse from a chunk we own instead
    zconfig_t *config = problem? NULL: zconfig_chunk_load (chunk);
    int rc = -1;
    if (problem)
        s_fail (program, "%s:%zu: malformed line (%s): not a valid ZPL config file",
                        file, bad_line, problem);
    else
    if (!config)
        s_fail (program, "%s: not a valid ZPL config file", file);
    else
        rc = s_add_keys (words, options, config, &scan, program, file);
    zconfig_destroy (&config);
    zchunk_destroy (&chunk);
    free (scan.keys);
    return rc == 0;
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
fsh_args_new (const char *program, int argc, char **argv, const struct option *options,
              const char *shorts)
{
    s_failure [0] = 0;
    fsh_args_t *self = (fsh_args_t *) zmalloc (sizeof (fsh_args_t));
    self->words = zlist_new ();
    zlist_autofree (self->words);
    zlist_append (self->words, argv [0]);
    const char *file = s_config_file (argc, argv, options, shorts);
    if (file && !s_add_file (self->words, options, program, file)) {
        fsh_args_destroy (&self);
        return NULL;
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

const char *
fsh_args_failure (void)
{
    return s_failure;
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
    //  A config file that cannot be used is said in its one line, no more
    fsh_args_t *args = fsh_args_new (program, argc, argv, longs, shorts);
    if (!args)
        return 2;
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
