/*  errcode.h - the stable error codes of SPEC 5.2, in one place.

    Every error that crosses a socket (Message.code, Cancel.code,
    CtlReply.code) carries an Fshare__ErrorCode. Programs decide on the
    code; the text is for people and may improve without changing any
    behaviour. This table gives each code its stable name (the "code" of
    `--json` failures) and its default text.
*/
#ifndef FSH_ERRCODE_H_INCLUDED
#define FSH_ERRCODE_H_INCLUDED

typedef Fshare__ErrorCode fsh_err_t;

#define FSH_ERR_NONE                FSHARE__ERROR_CODE__ERR_NONE
#define FSH_ERR_INVALID_CREDENTIALS FSHARE__ERROR_CODE__ERR_INVALID_CREDENTIALS
#define FSH_ERR_ALREADY_LOGGED_IN   FSHARE__ERROR_CODE__ERR_ALREADY_LOGGED_IN
#define FSH_ERR_UNSUPPORTED_VERSION FSHARE__ERROR_CODE__ERR_UNSUPPORTED_VERSION
#define FSH_ERR_BUSY                FSHARE__ERROR_CODE__ERR_BUSY
#define FSH_ERR_UNKNOWN_SESSION     FSHARE__ERROR_CODE__ERR_UNKNOWN_SESSION
#define FSH_ERR_BAD_REQUEST         FSHARE__ERROR_CODE__ERR_BAD_REQUEST
#define FSH_ERR_PROTOCOL_ERROR      FSHARE__ERROR_CODE__ERR_PROTOCOL_ERROR
#define FSH_ERR_TOO_LARGE           FSHARE__ERROR_CODE__ERR_TOO_LARGE
#define FSH_ERR_UNKNOWN_USER        FSHARE__ERROR_CODE__ERR_UNKNOWN_USER
#define FSH_ERR_UNKNOWN_FILE        FSHARE__ERROR_CODE__ERR_UNKNOWN_FILE
#define FSH_ERR_OWNER_GONE          FSHARE__ERROR_CODE__ERR_OWNER_GONE
#define FSH_ERR_FILE_CHANGED        FSHARE__ERROR_CODE__ERR_FILE_CHANGED
#define FSH_ERR_UNREADABLE          FSHARE__ERROR_CODE__ERR_UNREADABLE
#define FSH_ERR_CORRUPTED           FSHARE__ERROR_CODE__ERR_CORRUPTED
#define FSH_ERR_DISK_FULL           FSHARE__ERROR_CODE__ERR_DISK_FULL
#define FSH_ERR_NOT_WRITABLE        FSHARE__ERROR_CODE__ERR_NOT_WRITABLE
#define FSH_ERR_TOO_MANY_TRANSFERS  FSHARE__ERROR_CODE__ERR_TOO_MANY_TRANSFERS
#define FSH_ERR_OWNER_BUSY          FSHARE__ERROR_CODE__ERR_OWNER_BUSY
#define FSH_ERR_STALLED             FSHARE__ERROR_CODE__ERR_STALLED
#define FSH_ERR_CANCELLED           FSHARE__ERROR_CODE__ERR_CANCELLED
#define FSH_ERR_BROKER_UNREACHABLE  FSHARE__ERROR_CODE__ERR_BROKER_UNREACHABLE
#define FSH_ERR_NO_AGENT            FSHARE__ERROR_CODE__ERR_NO_AGENT
#define FSH_ERR_REQUESTER_GONE      FSHARE__ERROR_CODE__ERR_REQUESTER_GONE
#define FSH_ERR_INTERNAL            FSHARE__ERROR_CODE__ERR_INTERNAL

//  The stable lower-case name ("unknown_user"); "internal" for a value
//  outside the table (a newer peer's code), never NULL.
const char *fsh_err_name (fsh_err_t code);

//  The default text for people ("unknown user"); never NULL.
const char *fsh_err_text (fsh_err_t code);

//  The code of a name, or FSH_ERR_NONE when the name is not one.
fsh_err_t fsh_err_from_name (const char *name);

//  A code received from the wire, mapped into the table: an unknown
//  value (a newer sender) becomes FSH_ERR_INTERNAL, and an error reply
//  that carries no code at all becomes `fallback`.
fsh_err_t fsh_err_received (fsh_err_t code, fsh_err_t fallback);

//  True for the failures after which a partial download is worth keeping
//  for a later resume (the owner's file may still be the same).
bool fsh_err_keeps_partial (fsh_err_t code);

#endif
