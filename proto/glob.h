/*  glob.h - path patterns: the globs of `get OWNER 'GLOB'` (SPEC 4.3) and
    the ignore rules, with gitignore's wildcards.

    `*` and `?` match within one path component (`?` one UTF-8
    character); `**` as a whole component matches zero or more whole
    directories ("a/<two stars>/b" also matches "a/b"), elsewhere it is a
    `*`; `[...]` one character of a class (ranges, `!` or `^` negating,
    never a '/'; without its ']' a plain '['); a backslash quotes the next
    character. Paths and patterns are '/'-separated and relative.
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
