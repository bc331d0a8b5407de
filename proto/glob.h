/*  glob.h - path globs of `get OWNER 'GLOB'` (SPEC 4.3).

    `*` and `?` match within one path component, `**` across components
    (and "a/<two stars>/b" also matches "a/b", no directory between),
    `[...]` one character of a class as in fnmatch(3), a backslash quotes
    the next character. Paths and patterns are
    '/'-separated and relative.
*/
#ifndef FSH_GLOB_H_INCLUDED
#define FSH_GLOB_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  True when `pattern` has any glob character.
bool fsh_glob_is_pattern (const char *pattern);

//  True when `path` matches `pattern`.
bool fsh_glob_match (const char *pattern, const char *path);

//  Length of the pattern's fixed leading directories ("docs/2024/" of
//  "docs/2024/*.pdf"), including the last '/'; 0 when there are none.
size_t fsh_glob_prefix (const char *pattern);

#endif
