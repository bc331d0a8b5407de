/*  fuzz_path.c - libFuzzer target: the name and path rules of validate.h.

    The input, as a C string, goes through fsh_path_check, fsh_user_check,
    fsh_text_valid, fsh_path_is_partial and fsh_path_check_bounded (the
    broker's --max-path/--max-depth, with limits taken from the input too).
    Beyond not crashing, whatever a check accepts must really have the
    properties the rules promise (SPEC 6), checked here independently: an
    accepted path is relative, without empty, "." or ".." components; an
    accepted user name is one safe component; accepted text is what jansson
    takes as UTF-8 and holds no control bytes; a bounded check accepts
    exactly the valid, non-partial paths within its limits.
*/
#include "fuzz.h"
#include "bounds.h"
#include <jansson.h>

static bool
s_has_control (const char *text)
{
    for (const unsigned char *c = (const unsigned char *) text; *c; c++)
        if (*c < 0x20 || *c == 0x7F)
            return true;
    return false;
}

//  Valid UTF-8 by jansson's own decoder, which knows nothing of ours.
static bool
s_jansson_utf8 (const char *text)
{
    json_t *string = json_string (text);
    json_decref (string);
    return string != NULL;
}

static void
s_check_path (const char *path)
{
    const char *error = fsh_path_check (path);
    if (error) {
        FUZZ_ASSERT (*error);
        return;
    }
    FUZZ_ASSERT (*path && *path != '/');
    FUZZ_ASSERT (strlen (path) <= FSH_PATH_MAX);
    FUZZ_ASSERT (!s_has_control (path) && s_jansson_utf8 (path));
    size_t depth = 0;
    const char *start = path;
    while (true) {
        const char *slash = strchr (start, '/');
        size_t len = slash? (size_t) (slash - start): strlen (start);
        FUZZ_ASSERT (len > 0 && len <= FSH_NAME_MAX);
        FUZZ_ASSERT (!(len == 1 && start [0] == '.'));
        FUZZ_ASSERT (!(len == 2 && start [0] == '.' && start [1] == '.'));
        depth++;
        if (!slash)
            break;
        start = slash + 1;
    }
    FUZZ_ASSERT (depth <= FSH_DEPTH_MAX);
}

static int
s_depth (const char *path)
{
    int depth = 1;
    for (const char *c = path; *c; c++)
        depth += *c == '/';
    return depth;
}

//  Exactly: valid, not a partial download's name, within both limits
//  (0 meaning the protocol's own maxima).
static void
s_check_bounded (const char *path, size_t max_bytes, int max_depth)
{
    const char *error = fsh_path_check_bounded (path, max_bytes, max_depth);
    bool within = !fsh_path_check (path) && !fsh_path_is_partial (path)
               && (!max_bytes || strlen (path) <= max_bytes)
               && (max_depth <= 0 || s_depth (path) <= max_depth);
    FUZZ_ASSERT ((error == NULL) == within);
    FUZZ_ASSERT (!error || *error);
    //  A FileInfo carrying the path is held to the same limits
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = (char *) path;
    file.size = 1;
    file.mtime = 1700000000;
    const char *file_error = fsh_file_check_bounded (&file, max_bytes, max_depth);
    FUZZ_ASSERT ((file_error == NULL) == within);
}

static void
s_check_user (const char *user)
{
    if (fsh_user_check (user))
        return;
    size_t len = strlen (user);
    FUZZ_ASSERT (len >= 1 && len <= FSH_USER_MAX);
    FUZZ_ASSERT (user [0] != '.' && user [0] != '-');
    for (const char *c = user; *c; c++)
        FUZZ_ASSERT ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
                  || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-');
    //  User names become file and directory names: one safe component.
    FUZZ_ASSERT (fsh_path_check (user) == NULL);
    FUZZ_ASSERT (!strchr (user, '/'));
}

static void
s_check_text (const char *text, size_t max_bytes)
{
    bool valid = fsh_text_valid (text, max_bytes);
    size_t len = strlen (text);
    if (len <= max_bytes)
        FUZZ_ASSERT (valid == (!s_has_control (text) && s_jansson_utf8 (text)));
    else
        FUZZ_ASSERT (!valid);
}

static void
s_check_partial (const char *name)
{
    if (!fsh_path_is_partial (name))
        return;
    const char *base = strrchr (name, '/');
    base = base? base + 1: name;
    const char *suffix = ".fshare-part";
    FUZZ_ASSERT (base [0] == '.');
    FUZZ_ASSERT (strlen (base) >= strlen (suffix));
    FUZZ_ASSERT (streq (base + strlen (base) - strlen (suffix), suffix));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup (data, size);
    s_check_path (text);
    s_check_user (text);
    s_check_text (text, FSH_PATH_MAX);
    s_check_text (text, FSH_USER_MAX);
    //  A limit from the input too, so the length cut-off is explored.
    s_check_text (text, size? data [0]: 0);
    s_check_partial (text);
    s_check_bounded (text, 0, 0);
    s_check_bounded (text, size? data [0]: 0, size > 1? data [1] % 70: 0);
    free (text);
    return 0;
}
