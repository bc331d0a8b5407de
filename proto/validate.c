/*  validate.c - the rules every name and path from outside must pass. */
#include "fshare.h"

//  Length of the UTF-8 sequence at s, or 0 when it is invalid (overlong
//  forms, surrogates and code points above U+10FFFF are refused).
static size_t
s_utf8_len (const unsigned char *s)
{
    if (s [0] < 0x80)
        return 1;
    if (s [0] >= 0xC2 && s [0] <= 0xDF)
        return (s [1] & 0xC0) == 0x80? 2: 0;
    if (s [0] >= 0xE0 && s [0] <= 0xEF) {
        if ((s [1] & 0xC0) != 0x80 || (s [2] & 0xC0) != 0x80)
            return 0;
        if (s [0] == 0xE0 && s [1] < 0xA0)
            return 0;
        if (s [0] == 0xED && s [1] >= 0xA0)
            return 0;
        return 3;
    }
    if (s [0] >= 0xF0 && s [0] <= 0xF4) {
        if ((s [1] & 0xC0) != 0x80 || (s [2] & 0xC0) != 0x80 || (s [3] & 0xC0) != 0x80)
            return 0;
        if (s [0] == 0xF0 && s [1] < 0x90)
            return 0;
        if (s [0] == 0xF4 && s [1] >= 0x90)
            return 0;
        return 4;
    }
    return 0;
}

bool
fsh_text_valid (const char *text, size_t max_bytes)
{
    if (!text)
        return false;
    const unsigned char *s = (const unsigned char *) text;
    size_t total = 0;
    while (*s) {
        if (*s < 0x20 || *s == 0x7F)
            return false;
        size_t len = s_utf8_len (s);
        if (len == 0)
            return false;
        s += len;
        total += len;
        if (total > max_bytes)
            return false;
    }
    return true;
}

const char *
fsh_user_check (const char *user)
{
    if (!user || !*user)
        return "empty user name";
    size_t len = strlen (user);
    if (len > FSH_USER_MAX)
        return "user name too long";
    if (user [0] == '.' || user [0] == '-')
        return "user name must not start with '.' or '-'";
    for (const char *c = user; *c; c++)
        if (!isalnum ((unsigned char) *c) && *c != '.' && *c != '_' && *c != '-')
            return "user name may hold only letters, digits, '.', '_' and '-'";
    return NULL;
}

bool
fsh_path_is_partial (const char *name)
{
    const char *base = strrchr (name, '/');
    base = base? base + 1: name;
    size_t len = strlen (base);
    const char *suffix = ".fshare-part";
    size_t slen = strlen (suffix);
    return base [0] == '.' && len >= slen && streq (base + len - slen, suffix);
}

const char *
fsh_path_check (const char *path)
{
    if (!path || !*path)
        return "empty path";
    if (strlen (path) > FSH_PATH_MAX)
        return "path too long";
    if (!fsh_text_valid (path, FSH_PATH_MAX))
        return "path is not valid UTF-8 or holds control characters";
    if (path [0] == '/')
        return "absolute path";
    int depth = 0;
    const char *start = path;
    while (true) {
        const char *slash = strchr (start, '/');
        size_t len = slash? (size_t) (slash - start): strlen (start);
        if (len == 0)
            return "empty path component";
        if (len > FSH_NAME_MAX)
            return "path component too long";
        if ((len == 1 && start [0] == '.') || (len == 2 && start [0] == '.' && start [1] == '.'))
            return "'.' or '..' in path";
        if (++depth > FSH_DEPTH_MAX)
            return "path too deep";
        if (!slash)
            break;
        start = slash + 1;
    }
    return NULL;
}

const char *
fsh_mtime_check (int64_t mtime)
{
    //  Up to year 9999 both ways; anything beyond is corrupt.
    if (mtime < -253402300800LL || mtime > 253402300800LL)
        return "mtime out of range";
    return NULL;
}

//  What a file's size, mtime, digest and mode may be, wherever they come
//  (a listed FileInfo, an owner's Opened).
static const char *
s_attributes_check (uint64_t size, int64_t mtime, size_t digest_len, uint32_t mode)
{
    if (size > (uint64_t) INT64_MAX)
        return "file size out of range";
    const char *error = fsh_mtime_check (mtime);
    if (error)
        return error;
    if (digest_len != 0 && digest_len != 32)
        return "digest not 32 bytes";
    if (mode > 07777)
        return "mode out of range";
    return NULL;
}

const char *
fsh_file_check (const Fshare__FileInfo *file)
{
    if (!file)
        return "missing file";
    const char *error = fsh_path_check (file->path);
    if (error)
        return error;
    return s_attributes_check (file->size, file->mtime, file->sha256.len, file->mode);
}

const char *
fsh_opened_check (const Fshare__Opened *opened)
{
    if (!opened)
        return "missing answer";
    const char *error = s_attributes_check (opened->size, opened->mtime, opened->sha256.len,
                                            opened->mode);
    if (error)
        return error;
    if (opened->offset > opened->size)
        return "offset beyond the size";
    return NULL;
}

const char *
fsh_listed_check (const Fshare__FileInfo *file)
{
    const char *error = fsh_file_check (file);
    if (error)
        return error;
    //  A broker never lists one (it refuses them): one listed anyway would
    //  be saved under a name that a download's own partial file takes
    if (fsh_path_is_partial (file->path))
        return "partial download names are never published";
    return NULL;
}
