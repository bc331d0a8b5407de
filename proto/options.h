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

//  Build the argument vector from argv and, when argv holds -c FILE or
//  --config FILE, that file. Returns NULL (error printed) when the file
//  cannot be read or names an unknown option.
fsh_args_t *fsh_args_new (int argc, char **argv, const struct option *options);
void fsh_args_destroy (fsh_args_t **self_p);
int fsh_args_argc (fsh_args_t *self);
char **fsh_args_argv (fsh_args_t *self);

#endif
