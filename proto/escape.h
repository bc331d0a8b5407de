/*  escape.h - text from others, made safe to show on a terminal.

    A name published by another user must not be able to move the cursor,
    recolour or clear the screen, or re-order what a line says (Trojan
    Source, CVE-2021-42574). Every program's plain output for people
    passes such text through fsh_text_escape: control characters (C0 and
    DEL) and bytes that are no valid UTF-8 become \xNN, C1 controls
    (U+0080..U+009F) and the bidirectional marks, embeddings, overrides
    and isolates (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069)
    become \uNNNN; all else, backslashes included, stays as it is.
    JSON output carries names as they are, but a JSON stream is read on
    terminals too (fshare-tap --json): fsh_json_unhide writes C1 controls
    and the bidirectional characters as JSON's own \uNNNN escapes, which
    decode to the very same text (jansson already escapes C0 controls).
*/
#ifndef FSH_ESCAPE_H_INCLUDED
#define FSH_ESCAPE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  The escaped copy of `text` (NULL reads as ""). Caller frees; NULL only
//  when memory runs out.
char *fsh_text_escape (const char *text);

//  As fsh_text_escape, into `buf` of `size` bytes (cut short, still whole
//  escapes, when it does not fit). Returns buf.
char *fsh_text_escape_into (const char *text, char *buf, size_t size);

//  As fsh_text_escape, for a stream: escapes `size` bytes of `data` (NULs
//  included, no terminator) into `out`, which holds 4 * size bytes, and
//  sets *written. Returns how many bytes of `data` it took: all of them,
//  but for a character cut short at the end when `last` is false, whose
//  first bytes (at most three) the caller passes again with the next part
//  so that a character split between two writes is not escaped as invalid.
//  Length (2 or 3) of the C1 control or bidirectional character at
//  `text` (of `avail` bytes), its code point in *code; 0 for any other.
size_t fsh_text_hidden (const char *text, size_t avail, unsigned *code);

//  A copy of the JSON text `json` (as jansson writes it: valid UTF-8)
//  with every C1 control and bidirectional character written as a \uNNNN
//  escape: the same JSON value, safe on a terminal. Caller frees; NULL
//  only when memory runs out.
char *fsh_json_unhide (const char *json);

size_t fsh_text_escape_part (const char *data, size_t size, bool last, char *out,
                             size_t *written);

#endif
