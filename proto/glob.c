/*  glob.c - path globs. See glob.h.

    A small backtracking matcher: patterns come from a user's command
    line, paths from a file list, both bounded (FSH_PATH_MAX), and `**`
    is tried at each '/' only, which keeps the work polynomial.
*/
#include "fshare.h"
#include "glob.h"
#include <fnmatch.h>

bool
fsh_glob_is_pattern (const char *pattern)
{
    return strpbrk (pattern, "*?[\\") != NULL;
}

//  Length of a bracket expression starting at pattern [0] == '[', or 0
//  when it does not close (then '[' is a plain character).
static size_t
s_class_length (const char *pattern)
{
    size_t i = 1;
    if (pattern [i] == '!' || pattern [i] == '^')
        i++;
    if (pattern [i] == ']')
        i++;
    for (; pattern [i] && pattern [i] != '/'; i++)
        if (pattern [i] == ']')
            return i + 1;
    return 0;
}

static bool
s_class_match (const char *pattern, size_t length, char c)
{
    char expr [FSH_NAME_MAX + 1], text [2] = { c, 0 };
    if (length >= sizeof expr)
        return false;
    memcpy (expr, pattern, length);
    expr [length] = 0;
    return fnmatch (expr, text, 0) == 0;
}

static bool
s_match (const char *p, const char *s)
{
    while (*p) {
        if (p [0] == '*' && p [1] == '*') {
            //  "**/" also matches no directory at all
            const char *rest = p + 2;
            if (*rest == '/' && s_match (rest + 1, s))
                return true;
            for (const char *t = s; ; t++) {
                if (s_match (rest, t))
                    return true;
                if (!*t)
                    return false;
            }
        }
        if (*p == '*') {
            for (const char *t = s; ; t++) {
                if (s_match (p + 1, t))
                    return true;
                if (!*t || *t == '/')
                    return false;
            }
        }
        if (!*s)
            return false;
        if (*p == '?') {
            if (*s == '/')
                return false;
        }
        else
        if (*p == '[' && s_class_length (p)) {
            size_t length = s_class_length (p);
            if (*s == '/' || !s_class_match (p, length, *s))
                return false;
            p += length;
            s++;
            continue;
        }
        else {
            if (*p == '\\' && p [1])
                p++;
            if (*p != *s)
                return false;
        }
        p++;
        s++;
    }
    return *s == 0;
}

bool
fsh_glob_match (const char *pattern, const char *path)
{
    return s_match (pattern, path);
}

size_t
fsh_glob_prefix (const char *pattern)
{
    size_t fixed = 0;
    for (size_t i = 0; pattern [i]; i++) {
        if (strchr ("*?[\\", pattern [i]))
            break;
        if (pattern [i] == '/')
            fixed = i + 1;
    }
    return fixed;
}
