/*  errcode.c - names and texts of the error codes. See errcode.h.

    One row per code; the README's table of codes is written from this
    one (keep them together when a code is added).
*/
#include "fshare.h"

typedef struct {
    fsh_err_t code;
    const char *name;
    const char *text;
} err_row_t;

static const err_row_t s_rows [] = {
    { FSH_ERR_NONE,                "none",                "no error" },
    { FSH_ERR_INVALID_CREDENTIALS, "invalid_credentials", "invalid user or password" },
    { FSH_ERR_ALREADY_LOGGED_IN,   "already_logged_in",   "already logged in" },
    { FSH_ERR_UNSUPPORTED_VERSION, "unsupported_version", "unsupported protocol version" },
    { FSH_ERR_BUSY,                "busy",                "busy: too many logins at once, try again" },
    { FSH_ERR_UNKNOWN_SESSION,     "unknown_session",     "unknown session" },
    { FSH_ERR_BAD_REQUEST,         "bad_request",         "bad request" },
    { FSH_ERR_PROTOCOL_ERROR,      "protocol_error",      "protocol error" },
    { FSH_ERR_TOO_LARGE,           "too_large",           "too large" },
    { FSH_ERR_UNKNOWN_USER,        "unknown_user",        "unknown user" },
    { FSH_ERR_UNKNOWN_FILE,        "unknown_file",        "unknown file" },
    { FSH_ERR_OWNER_GONE,          "owner_gone",          "the owner went away" },
    { FSH_ERR_FILE_CHANGED,        "file_changed",        "file changed during transfer" },
    { FSH_ERR_UNREADABLE,          "unreadable",          "cannot read file" },
    { FSH_ERR_CORRUPTED,           "corrupted",           "file corrupted in transit: SHA-256 mismatch" },
    { FSH_ERR_DISK_FULL,           "disk_full",           "no space left on the device" },
    { FSH_ERR_NOT_WRITABLE,        "not_writable",        "downloads directory not writable" },
    { FSH_ERR_TOO_MANY_TRANSFERS,  "too_many_transfers",  "too many transfers" },
    { FSH_ERR_OWNER_BUSY,          "owner_busy",          "the owner is serving too many transfers; try again later" },
    { FSH_ERR_STALLED,             "stalled",             "transfer stalled" },
    { FSH_ERR_CANCELLED,           "cancelled",           "cancelled" },
    { FSH_ERR_BROKER_UNREACHABLE,  "broker_unreachable",  "broker unreachable" },
    { FSH_ERR_NO_AGENT,            "no_agent",            "no agent running" },
    { FSH_ERR_REQUESTER_GONE,      "requester_gone",      "the requester went away" },
    { FSH_ERR_INTERNAL,            "internal",            "internal error" },
};

#define ROWS (sizeof (s_rows) / sizeof (s_rows [0]))

static const err_row_t *
s_row (fsh_err_t code)
{
    for (size_t i = 0; i < ROWS; i++)
        if (s_rows [i].code == code)
            return &s_rows [i];
    return NULL;
}

const char *
fsh_err_name (fsh_err_t code)
{
    const err_row_t *row = s_row (code);
    return row? row->name: "internal";
}

const char *
fsh_err_text (fsh_err_t code)
{
    const err_row_t *row = s_row (code);
    return row? row->text: "internal error";
}

fsh_err_t
fsh_err_from_name (const char *name)
{
    if (!name)
        return FSH_ERR_NONE;
    for (size_t i = 0; i < ROWS; i++)
        if (streq (s_rows [i].name, name))
            return s_rows [i].code;
    return FSH_ERR_NONE;
}

fsh_err_t
fsh_err_received (fsh_err_t code, fsh_err_t fallback)
{
    if (code == FSH_ERR_NONE)
        return fallback;
    return s_row (code)? code: FSH_ERR_INTERNAL;
}

bool
fsh_err_keeps_partial (fsh_err_t code)
{
    //  What was written is still the owner's content unless the file
    //  changed, the bytes were bad, or the other side broke the protocol.
    return code != FSH_ERR_FILE_CHANGED && code != FSH_ERR_CORRUPTED
        && code != FSH_ERR_PROTOCOL_ERROR;
}
