/*  options.h - config files (SPEC 3): `-c FILE` in ZPL, command line wins.

    Rather than a second option parser, the config file is turned into
    command-line words placed before the real ones, so getopt_long handles
    both and a later (command-line) option overrides an earlier one.
    A top-level key `name = value` becomes `--name value`; for an option that
    takes no argument, a true value (1, true, yes, on) becomes `--name` and a
    false one `--no-name`.
*/
#ifndef FSH_OPTIONS_H_INCLUDED
#define FSH_OPTIONS_H_INCLUDED

#include <getopt.h>

typedef struct _fsh_args_t fsh_args_t;

#define FSH_CONFIG_MAX  (1024 * 1024)   //  bytes of a config file

//  Build the argument vector from argv and, when argv holds -c FILE or
//  --config FILE (in any spelling getopt_long takes with `options` and
//  `shorts`, the program's own: --config=FILE, -cFILE, --conf FILE...;
//  the option must be 'c'), that file. Returns NULL when the file cannot
//  be read (no path, not there, not a regular file, larger than
//  FSH_CONFIG_MAX), is malformed, names an unknown option or gives one
//  twice; the error is then said in one line, escaped (fsh_error_line of
//  `program`), naming the file and why, the line when it is one:
//  "PROGRAM: FILE:LINE: ...". Nothing else is printed: CZMQ's zconfig,
//  which would log a malformed line's raw bytes on stdout, only ever
//  parses a file found good.
fsh_args_t *fsh_args_new (const char *program, int argc, char **argv,
                          const struct option *options, const char *shorts);
void fsh_args_destroy (fsh_args_t **self_p);
//  Why this thread's last fsh_args_new returned NULL: its line without
//  "PROGRAM: ", unescaped (a program's --json error says it); "" after one
//  that succeeded.
const char *fsh_args_failure (void);
int fsh_args_argc (fsh_args_t *self);
char **fsh_args_argv (fsh_args_t *self);

//  A program's handler of one option (getopt_long's `opt`, its argument
//  or NULL): -1 to go on, else the exit code to stop with. The argument
//  lives only during the call: keep a copy.
typedef int (fsh_option_fn) (int opt, const char *value, void *arg);

//  The whole command line, config file first (fsh_args_new; then `-c` is
//  skipped): each option to the handler. A config file that cannot be
//  used is its one line (fsh_args_new) and exit 2; a missing argument, an
//  unknown option or a word that is no option is a usage error of `program`. `shorts` begins with ':'.
//  Returns -1 when every option was taken, else the exit code (2 after a
//  usage error; the handler's own, e.g. 0 after --help).
int fsh_options_parse (const char *program, int argc, char **argv, const struct option *longs,
                       const char *shorts, fsh_option_fn *handler, void *arg);

//  The options every program's table ends with, and its terminator:
//  -v/--verbose, -h/--help and --version (each program handles them).
#define FSH_OPTIONS_END \
    { "verbose", no_argument, NULL, 'v' }, \
    { "help",    no_argument, NULL, 'h' }, \
    { "version", no_argument, NULL, 'V' }, \
    { NULL, 0, NULL, 0 }

//  --version: "<program> <version>" on stdout. Returns 0, the exit code.
int fsh_options_version (const char *program);

//  The usage error for what getopt_long returned instead of an option of
//  the table: ':' (a missing argument) or anything else (an unknown
//  option), naming the word at argv [optind - 1]. Returns 2.
int fsh_options_refused (const char *program, int opt, char **argv);

#endif
