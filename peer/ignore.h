/*  ignore.h - which paths of the host directory are never published.

    Rules in gitignore syntax (gitignore(5)), in three layers read in this
    order: the built-in defaults (editors' and tools' temporaries), the
    host directory's `.fshareignore`, then the agent's --ignore patterns.
    As in git, the last rule that matches decides, so a `!pattern` in a
    later layer re-includes what an earlier one (the defaults included)
    ignores; and nothing below an ignored directory can be re-included.

    Supported: `#` comments, blank lines, trailing spaces (unless escaped),
    `!` negation, a trailing `/` for directories only, a leading or middle
    `/` anchoring the pattern to the root (else it matches a name at any
    level), `*`, `?`, `[...]` (with `!` or `^` and ranges), a double star
    as a whole component (leading: any directories; trailing: everything
    inside; in the middle: zero or more directories), and a backslash
    escaping the next byte.
*/
#ifndef IGNORE_H_INCLUDED
#define IGNORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  The built-in defaults, NULL-terminated (the README lists them too).
extern const char *const ignore_defaults [];

typedef enum {
    IGNORE_DEFAULTS,            //  built in
    IGNORE_FILE,                //  .fshareignore
    IGNORE_OPTIONS,             //  --ignore
    IGNORE_LAYERS
} ignore_layer_t;

typedef struct _ignore_t ignore_t;

//  A rule set holding the built-in defaults only.
ignore_t *ignore_new (void);
void ignore_destroy (ignore_t **self_p);

//  Add one line of gitignore syntax to a layer. Comments and blank lines
//  are accepted and add nothing. -1 for a line that cannot be a pattern
//  (too long, a lone `!` or `/`), which is not added.
int ignore_add (ignore_t *self, ignore_layer_t layer, const char *line);

//  Replace a layer with the lines of text (NUL-terminated, "\n" or
//  "\r\n" separated; NULL empties it). Returns the number of lines that
//  were refused.
int ignore_set_text (ignore_t *self, ignore_layer_t layer, const char *text);

//  Read the IGNORE_FILE layer from the file dirfd/name (no symlink
//  followed; the first IGNORE_FILE_MAX bytes; missing: no rules). True
//  when its text differs from the last one read, and the layer was
//  replaced; problems are logged.
#define IGNORE_FILE_MAX (64 * 1024)
bool ignore_load_file (ignore_t *self, int dirfd, const char *name);

//  Rules in the layer (comments excluded).
size_t ignore_count (ignore_t *self, ignore_layer_t layer);

//  True when path ('/'-separated, relative to the root, no trailing '/')
//  is ignored, by its own rules or because a directory above it is.
bool ignore_match (ignore_t *self, const char *path, bool is_dir);

//  The same, for a caller that knows no directory above path is ignored
//  (a walk that did not descend into ignored directories).
bool ignore_match_entry (ignore_t *self, const char *path, bool is_dir);

#endif
