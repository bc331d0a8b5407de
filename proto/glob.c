/*  glob.c - path globs. See glob.h.

    The one matcher of fshare's path patterns: the globs of `get` and the
    ignore rules (peer/ignore.c). Patterns come from a user's command line
    or ignore file, paths from a file list, both bounded (FSH_PATH_MAX).
*/
#include "fshare.h"
#include "glob.h"

bool
fsh_glob_is_pattern (const char *pattern)
{
    return strpbrk (pattern, "*?[\\") != NULL;
}

// --------------------------------------------------------------------------
//  Matching, in the manner of git's wildmatch: besides a match or not, a
//  sub-match can report that no later start of the star that tried it can
//  help (the text ran out: S_ABORT_ALL), or that only a `**` further out
//  can (a single star met a '/': S_ABORT_TO_DOUBLE). That keeps every
//  pattern polynomial, pathological ones included.

typedef enum { S_NOMATCH, S_MATCH, S_ABORT_ALL, S_ABORT_TO_DOUBLE } s_result_t;

//  Bytes in the UTF-8 character starting at s (1 for anything malformed).
static size_t
s_char_length (const char *s)
{
    unsigned char c = (unsigned char) *s;
    size_t len = c >= 0xF0? 4: c >= 0xE0? 3: c >= 0xC0? 2: 1;
    for (size_t index = 1; index < len; index++)
        if (((unsigned char) s [index] & 0xC0) != 0x80)
            return 1;
    return len;
}

//  A bracket expression at p (just after '['), against byte c. Sets *end
//  past the closing ']'; false with *end NULL when there is none (the '['
//  is then literal).
static bool
s_bracket (const char *p, char c, const char **end)
{
    bool negate = *p == '!' || *p == '^';
    if (negate)
        p++;
    bool matched = false;
    bool first = true;
    while (*p && (*p != ']' || first)) {
        first = false;
        char low = *p;
        if (low == '\\' && p [1])
            low = *++p;
        p++;
        char high = low;
        if (*p == '-' && p [1] && p [1] != ']') {
            p++;
            high = *p;
            if (high == '\\' && p [1])
                high = *++p;
            p++;
        }
        if ((unsigned char) c >= (unsigned char) low && (unsigned char) c <= (unsigned char) high)
            matched = true;
    }
    if (*p != ']') {
        *end = NULL;
        return false;
    }
    *end = p + 1;
    return matched != negate;
}

static s_result_t s_match (const char *p, const char *s);

//  `**` as a whole component at p (p points at its first '*'): zero or
//  more whole directories.
static s_result_t
s_double_star (const char *p, const char *s)
{
    const char *rest = p + 2;
    if (*rest == 0)
        return S_MATCH;                 //  "x/**": everything below
    rest++;                             //  past the '/' of "**/"
    while (true) {
        s_result_t result = s_match (rest, s);
        if (result == S_MATCH || result == S_ABORT_ALL)
            return result;
        //  Tried at every directory of s: a later start cannot do better
        const char *slash = strchr (s, '/');
        if (!slash)
            return S_ABORT_ALL;
        s = slash + 1;
    }
}

//  Stars within one component at p, then the rest of the pattern.
static s_result_t
s_star (const char *p, const char *s)
{
    while (*p == '*')
        p++;
    if (*p == 0)
        return strchr (s, '/')? S_ABORT_TO_DOUBLE: S_MATCH;
    //  What follows the stars needs a character, so the end of s is no start
    for (; *s; s++) {
        s_result_t result = s_match (p, s);
        if (result != S_NOMATCH)
            return result;
        if (*s == '/')
            return S_ABORT_TO_DOUBLE;
    }
    return S_ABORT_ALL;
}

static s_result_t
s_match (const char *p, const char *s)
{
    const char *start = p;
    while (*p) {
        if (p [0] == '*' && p [1] == '*'
        &&  (p == start || p [-1] == '/') && (p [2] == 0 || p [2] == '/'))
            return s_double_star (p, s);
        if (*p == '*')
            return s_star (p, s);
        if (*s == 0)
            return S_ABORT_ALL;
        if (*p == '?') {
            if (*s == '/')
                return S_NOMATCH;
            s += s_char_length (s);
            p++;
            continue;
        }
        if (*p == '[') {
            const char *end = NULL;
            bool hit = s_bracket (p + 1, *s, &end);
            if (end) {
                if (!hit || *s == '/')
                    return S_NOMATCH;
                p = end;
                s++;
                continue;
            }
            //  No closing ']': a literal '['
        }
        if (*p == '\\' && p [1])
            p++;
        if (*p != *s)
            return S_NOMATCH;
        p++;
        s++;
    }
    return *s == 0? S_MATCH: S_NOMATCH;
}

bool
fsh_glob_match (const char *pattern, const char *path)
{
    assert (pattern);
    assert (path);
    return s_match (pattern, path) == S_MATCH;
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
