/*  ignore.c - which paths of the host directory are never published. See
    ignore.h.

    A rule keeps its pattern with the escapes still in it: the matcher
    reads `\x` as a literal x, so a pattern is parsed once, when added.
    The wildcards are fsh_glob_match's (proto/glob.c), shared with get's
    globs; patterns are short (S_PATTERN_MAX).
*/
#include "ignore.h"
#include "fshare.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PATTERN_MAX   1024

const char *const ignore_defaults [] = {
    "*~",                       //  emacs, vim backups; vim's save renames to it
    ".*.sw[a-p]",               //  vim swap files: .swp, then .swo, .swn...
                                //  when one is there (a second vim, a crash)
    ".*.swx",                   //  vim's probe of a swap file
    "*.tmp",                    //  "write f.tmp, rename over f" savers
    ".#*",                      //  emacs lock files
    "4913",                     //  vim's probe of a writable directory
    ".goutputstream-*",         //  GLib/GNOME atomic saves
    "~$*",                      //  Microsoft Office owner files
    "\\#*#",                    //  emacs auto-saves, kept while a file is edited
    ".~lock.*#",                //  LibreOffice lock files (the user and host inside)
    NULL
};

typedef struct {
    char *pattern;              //  escapes kept; no leading '/', no trailing '/'
    bool negate;                //  `!`: re-include
    bool dir_only;              //  trailing '/'
    bool anchored;              //  a '/' at the start or in the middle
} s_rule_t;

struct _ignore_t {
    zlistx_t *layers [IGNORE_LAYERS];   //  of s_rule_t, in file order
    char *file_text;                    //  as last loaded; NULL: no file
};

static void
s_rule_destroy (void **item_p)
{
    s_rule_t *rule = (s_rule_t *) *item_p;
    if (rule) {
        free (rule->pattern);
        free (rule);
        *item_p = NULL;
    }
}

ignore_t *
ignore_new (void)
{
    ignore_t *self = (ignore_t *) zmalloc (sizeof (ignore_t));
    assert (self);
    for (int layer = 0; layer < IGNORE_LAYERS; layer++) {
        self->layers [layer] = zlistx_new ();
        assert (self->layers [layer]);
        zlistx_set_destructor (self->layers [layer], s_rule_destroy);
    }
    for (const char *const *line = ignore_defaults; *line; line++)
        ignore_add (self, IGNORE_DEFAULTS, *line);
    return self;
}

void
ignore_destroy (ignore_t **self_p)
{
    assert (self_p);
    ignore_t *self = *self_p;
    if (self) {
        for (int layer = 0; layer < IGNORE_LAYERS; layer++)
            zlistx_destroy (&self->layers [layer]);
        free (self->file_text);
        free (self);
        *self_p = NULL;
    }
}

// --------------------------------------------------------------------------
//  Parsing

//  Length of line without trailing unescaped spaces (and a CR).
static size_t
s_trimmed_length (const char *line, size_t len)
{
    if (len && line [len - 1] == '\r')
        len--;
    while (len && line [len - 1] == ' ') {
        //  An odd number of backslashes before the space escapes it
        size_t slashes = 0;
        while (slashes < len - 1 && line [len - 2 - slashes] == '\\')
            slashes++;
        if (slashes % 2)
            break;
        len--;
    }
    return len;
}

//  Parse one line of at most len bytes. 1: a rule added; 0: nothing to
//  add (comment, blank); -1: refused.
static int
s_add_line (ignore_t *self, ignore_layer_t layer, const char *line, size_t len)
{
    len = s_trimmed_length (line, len);
    if (len == 0 || line [0] == '#')
        return 0;
    if (len > S_PATTERN_MAX)
        return -1;
    bool negate = line [0] == '!';
    if (negate) {
        line++;
        len--;
    }
    bool dir_only = false;
    //  A trailing '/' (not an escaped one: "\/" stays a literal '/')
    if (len && line [len - 1] == '/' && (len < 2 || line [len - 2] != '\\')) {
        dir_only = true;
        len--;
    }
    bool anchored = false;
    if (len && line [0] == '/') {
        anchored = true;
        line++;
        len--;
    }
    if (len == 0)
        return -1;
    for (size_t index = 0; index < len && !anchored; index++)
        if (line [index] == '/')
            anchored = true;
    s_rule_t *rule = (s_rule_t *) zmalloc (sizeof (s_rule_t));
    assert (rule);
    rule->pattern = (char *) malloc (len + 1);
    assert (rule->pattern);
    memcpy (rule->pattern, line, len);
    rule->pattern [len] = 0;
    rule->negate = negate;
    rule->dir_only = dir_only;
    rule->anchored = anchored;
    zlistx_add_end (self->layers [layer], rule);
    return 1;
}

int
ignore_add (ignore_t *self, ignore_layer_t layer, const char *line)
{
    assert (self);
    assert (line);
    assert (layer < IGNORE_LAYERS);
    return s_add_line (self, layer, line, strlen (line)) < 0? -1: 0;
}

int
ignore_set_text (ignore_t *self, ignore_layer_t layer, const char *text)
{
    assert (self);
    assert (layer < IGNORE_LAYERS);
    zlistx_purge (self->layers [layer]);
    int refused = 0;
    while (text && *text) {
        const char *end = strchr (text, '\n');
        size_t len = end? (size_t) (end - text): strlen (text);
        if (s_add_line (self, layer, text, len) < 0)
            refused++;
        text = end? end + 1: text + len;
    }
    return refused;
}

//  The file's text, or NULL when there is none (or it is no regular file).
static char *
s_read_file (int dirfd, const char *name)
{
    int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *text = NULL;
    if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode)) {
        text = (char *) zmalloc (IGNORE_FILE_MAX + 1);
        assert (text);
        ssize_t size = read (fd, text, IGNORE_FILE_MAX);
        if (size < 0)
            zsys_warning ("ignore: cannot read %s: %s", name, strerror (errno));
        text [size > 0? size: 0] = 0;
        if (st.st_size > IGNORE_FILE_MAX)
            zsys_warning ("ignore: %s is larger than %d bytes: the rest is not read",
                          name, IGNORE_FILE_MAX);
    }
    close (fd);
    return text;
}

bool
ignore_load_file (ignore_t *self, int dirfd, const char *name)
{
    assert (self);
    assert (name);
    char *text = s_read_file (dirfd, name);
    bool same = (!text && !self->file_text)
             || (text && self->file_text && streq (text, self->file_text));
    if (same) {
        free (text);
        return false;
    }
    free (self->file_text);
    self->file_text = text;
    int refused = ignore_set_text (self, IGNORE_FILE, text);
    if (refused)
        zsys_warning ("ignore: %s: %d line(s) are not patterns", name, refused);
    zsys_info ("ignore: %s: %zu rule(s)", name, ignore_count (self, IGNORE_FILE));
    return true;
}

size_t
ignore_count (ignore_t *self, ignore_layer_t layer)
{
    assert (self);
    assert (layer < IGNORE_LAYERS);
    return zlistx_size (self->layers [layer]);
}

// --------------------------------------------------------------------------
//  Matching (the wildcards are proto/glob.c's)

static bool
s_rule_matches (const s_rule_t *rule, const char *path, bool is_dir)
{
    if (rule->dir_only && !is_dir)
        return false;
    if (rule->anchored)
        return fsh_glob_match (rule->pattern, path);
    const char *name = strrchr (path, '/');
    return fsh_glob_match (rule->pattern, name? name + 1: path);
}

//  The last matching rule of every layer decides; none: not ignored.
static bool
s_decide (ignore_t *self, const char *path, bool is_dir)
{
    for (int layer = IGNORE_LAYERS - 1; layer >= 0; layer--) {
        zlistx_t *rules = self->layers [layer];
        const s_rule_t *rule = (const s_rule_t *) zlistx_last (rules);
        while (rule) {
            if (s_rule_matches (rule, path, is_dir))
                return !rule->negate;
            rule = (const s_rule_t *) zlistx_prev (rules);
        }
    }
    return false;
}

bool
ignore_match_entry (ignore_t *self, const char *path, bool is_dir)
{
    assert (self);
    assert (path);
    return s_decide (self, path, is_dir);
}

bool
ignore_match (ignore_t *self, const char *path, bool is_dir)
{
    assert (self);
    assert (path);
    char prefix [FSH_PATH_MAX + 1];
    size_t len = strlen (path);
    if (len > FSH_PATH_MAX)
        return true;                    //  never published anyway
    memcpy (prefix, path, len + 1);
    for (size_t index = 0; index < len; index++) {
        if (prefix [index] != '/')
            continue;
        prefix [index] = 0;
        bool ignored = s_decide (self, prefix, true);
        prefix [index] = '/';
        if (ignored)
            return true;
    }
    return s_decide (self, path, is_dir);
}
