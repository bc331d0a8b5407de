/*  partrecord.c - what a partial file is a part of. See partrecord.h.

    The attribute's text: version \n owner \n size \n mtime \n digest hex
    (empty when unknown) \n path; "fshare1" records have no digest line.
*/
#include "partrecord.h"
#include <sys/xattr.h>

#define S_XATTR     "user.fshare.source"
#define S_VERSION   "fshare2"
#define S_MAX       (FSH_PATH_MAX + FSH_USER_MAX + 160)

//  The record's lines into fields (count of them; the last runs to the end).
static int
s_split (char *value, char *fields [], int count)
{
    char *cursor = value;
    for (int i = 0; i < count; i++) {
        fields [i] = cursor;
        if (i == count - 1)
            break;
        char *newline = strchr (cursor, '\n');
        if (!newline)
            return -1;
        *newline = 0;
        cursor = newline + 1;
    }
    return 0;
}

int
partrecord_read (int fd, partrecord_t *record)
{
    char value [S_MAX + 1];
    ssize_t len = fgetxattr (fd, S_XATTR, value, S_MAX);
    if (len <= 0)
        return -1;
    value [len] = 0;
    bool v1 = strncmp (value, "fshare1\n", 8) == 0;
    int count = v1? 5: 6;
    char *fields [6];
    if (s_split (value, fields, count))
        return -1;
    const char *path = fields [count - 1];
    if ((!v1 && !streq (fields [0], S_VERSION)) || strlen (fields [1]) > FSH_USER_MAX
    ||  strlen (path) > FSH_PATH_MAX)
        return -1;
    strcpy (record->owner, fields [1]);
    strcpy (record->path, path);
    record->has_sha256 = !v1 && *fields [4];
    if (record->has_sha256 && digest_unhex (fields [4], record->sha256))
        return -1;
    char *end;
    errno = 0;
    record->size = strtoull (fields [2], &end, 10);
    if (errno || *end)
        return -1;
    record->mtime = strtoll (fields [3], &end, 10);
    if (errno || *end)
        return -1;
    return 0;
}

int
partrecord_write (int fd, const partrecord_t *record)
{
    char hex [DIGEST_HEX_SIZE] = "";
    if (record->has_sha256)
        digest_hex (record->sha256, hex);
    char *value = zsys_sprintf ("%s\n%s\n%" PRIu64 "\n%" PRId64 "\n%s\n%s", S_VERSION,
                                record->owner, record->size, record->mtime, hex, record->path);
    int rc = fsetxattr (fd, S_XATTR, value, strlen (value), 0);
    int saved = errno;
    zstr_free (&value);
    errno = saved;
    return rc;
}

void
partrecord_remove (int fd)
{
    fremovexattr (fd, S_XATTR);
}
