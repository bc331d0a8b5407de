/*  mounts.c - mounts inside the host directory. See mounts.h.

    The mount table is read only when poll(2) says it changed (POLLPRI,
    which the kernel raises once per change of the namespace's mounts);
    then the mount points below the root are collected, as mountinfo
    writes them (octal escapes for space, tab, newline and backslash),
    into one sorted string compared with the last one. A change anywhere
    else in the system costs one read of the table, never a rescan.
*/
#include "mounts.h"
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#define S_TABLE_MAX (16 * 1024 * 1024)  //  a table larger than this is not read

struct _mounts_t {
    char *given;            //  the root as given
    char *root;             //  absolute, as mountinfo escapes it
    int fd;                 //  /proc/self/mountinfo
    char *points;           //  the mount points below root, sorted, one a line
};

//  The root's real path, escaped as mountinfo escapes its fields.
static char *
s_escaped_root (const char *root)
{
    char *real = realpath (root, NULL);
    if (!real)
        return NULL;
    char *out = (char *) malloc (strlen (real) * 4 + 1);
    assert (out);
    char *at = out;
    for (const char *c = real; *c; c++) {
        if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\\')
            at += sprintf (at, "\\%03o", (unsigned char) *c);
        else
            *at++ = *c;
    }
    *at = 0;
    free (real);
    return out;
}

//  The whole table, read from the start; NULL on an error.
static char *
s_read_table (int fd)
{
    size_t size = 0, room = 64 * 1024;
    char *table = (char *) malloc (room + 1);
    assert (table);
    if (lseek (fd, 0, SEEK_SET) != 0) {
        free (table);
        return NULL;
    }
    while (true) {
        if (size == room) {
            if (room >= S_TABLE_MAX) {
                free (table);
                return NULL;
            }
            room *= 2;
            table = (char *) realloc (table, room + 1);
            assert (table);
        }
        ssize_t got = read (fd, table + size, room - size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            free (table);
            return NULL;
        }
        if (got == 0)
            break;
        size += (size_t) got;
    }
    table [size] = 0;
    return table;
}

static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(char * const *) a, *(char * const *) b);
}

//  The mount points at or below root in table (field 5 of each line),
//  sorted, one a line.
static char *
s_points (const char *root, char *table)
{
    size_t root_len = strlen (root);
    zlistx_t *found = zlistx_new ();
    char *save = NULL;
    for (char *line = strtok_r (table, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        char *field = line;
        for (int skip = 0; skip < 4 && field; skip++) {
            field = strchr (field, ' ');
            if (field)
                field++;
        }
        if (!field)
            continue;
        char *end = strchr (field, ' ');
        if (end)
            *end = 0;
        if (strncmp (field, root, root_len) == 0
        &&  (field [root_len] == 0 || field [root_len] == '/' || streq (root, "/")))
            zlistx_add_end (found, field);
    }
    size_t count = zlistx_size (found), bytes = 1;
    char **points = (char **) calloc (count + 1, sizeof (char *));
    assert (points);
    size_t index = 0;
    for (char *point = (char *) zlistx_first (found); point; point = (char *) zlistx_next (found)) {
        points [index++] = point;
        bytes += strlen (point) + 1;
    }
    qsort (points, count, sizeof (char *), s_compare);
    char *out = (char *) malloc (bytes);
    assert (out);
    char *at = out;
    for (index = 0; index < count; index++)
        at += sprintf (at, "%s\n", points [index]);
    *at = 0;
    free (points);
    zlistx_destroy (&found);
    return out;
}

//  The mount points below the root now, or NULL when the table or the
//  root cannot be read.
static char *
s_look (mounts_t *self)
{
    char *table = s_read_table (self->fd);
    if (!table)
        return NULL;
    char *points = s_points (self->root, table);
    free (table);
    return points;
}

mounts_t *
mounts_new (const char *root)
{
    assert (root);
    int fd = open ("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    mounts_t *self = (mounts_t *) zmalloc (sizeof (mounts_t));
    self->fd = fd;
    self->given = strdup (root);
    self->root = s_escaped_root (root);
    if (self->root)
        self->points = s_look (self);
    //  Takes the change flag the open left raised, so the first call
    //  reports only what changed after this
    struct pollfd item = { .fd = fd, .events = POLLPRI };
    poll (&item, 1, 0);
    return self;
}

void
mounts_destroy (mounts_t **self_p)
{
    mounts_t *self = *self_p;
    if (!self)
        return;
    close (self->fd);
    free (self->given);
    free (self->root);
    free (self->points);
    free (self);
    *self_p = NULL;
}

bool
mounts_changed (mounts_t *self)
{
    assert (self);
    struct pollfd item = { .fd = self->fd, .events = POLLPRI };
    if (poll (&item, 1, 0) <= 0 || !(item.revents & (POLLPRI | POLLERR)))
        return false;
    //  The root may have been made or moved since: its real path anew
    char *root = s_escaped_root (self->given);
    if (root) {
        free (self->root);
        self->root = root;
    }
    char *points = self->root? s_look (self): NULL;
    bool changed = points && (!self->points || !streq (points, self->points));
    if (points) {
        free (self->points);
        self->points = points;
    }
    return changed;
}
