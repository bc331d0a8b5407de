/*  escape.c - text from others, made safe to show on a terminal. See
    escape.h.
*/
#include "fshare.h"
#include "escape.h"

//  What s_utf8_decode says of bytes that start a character cut short by
//  the end of the input: the rest may come in the next part
#define S_CUT_SHORT SIZE_MAX

//  Length of the valid UTF-8 sequence at `s` (1..4, of the `avail` bytes
//  there) and its code point; 0 for a byte that starts none (overlong,
//  surrogate, beyond U+10FFFF); S_CUT_SHORT when the bytes there so far
//  are the start of a sequence that runs past `avail`.
static size_t
s_utf8_decode (const unsigned char *s, size_t avail, uint32_t *code)
{
    if (s [0] < 0x80) {
        *code = s [0];
        return 1;
    }
    size_t length = s [0] >= 0xF0? 4: s [0] >= 0xE0? 3: s [0] >= 0xC0? 2: 0;
    if (length == 0 || s [0] > 0xF4)
        return 0;
    uint32_t value = s [0] & (0x7F >> length);
    for (size_t i = 1; i < length; i++) {
        if (i == avail)
            return S_CUT_SHORT;
        if ((s [i] & 0xC0) != 0x80)
            return 0;
        value = (value << 6) | (s [i] & 0x3F);
    }
    static const uint32_t least [5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (value < least [length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 0;
    *code = value;
    return length;
}

//  The characters that re-order or hide text (escape.h).
static bool
s_hidden (uint32_t code)
{
    return (code >= 0x80 && code <= 0x9F)
        || code == 0x061C || code == 0x200E || code == 0x200F
        || (code >= 0x202A && code <= 0x202E)
        || (code >= 0x2066 && code <= 0x2069);
}

size_t
fsh_text_hidden (const char *text, size_t avail, unsigned *code)
{
    uint32_t value = 0;
    size_t length = s_utf8_decode ((const unsigned char *) text, avail, &value);
    if (length == 0 || length == S_CUT_SHORT || !s_hidden (value))
        return 0;
    *code = (unsigned) value;
    return length;
}

char *
fsh_json_unhide (const char *json)
{
    //  A hidden character takes 2 or 3 bytes and becomes 6 ("\uNNNN")
    size_t avail = strlen (json? json: "");
    char *out = (char *) malloc (3 * avail + 1);
    if (!out)
        return NULL;
    size_t used = 0;
    while (avail) {
        unsigned code = 0;
        size_t length = fsh_text_hidden (json, avail, &code);
        if (length) {
            used += (size_t) sprintf (out + used, "\\u%04x", code);
            json += length;
            avail -= length;
        }
        else {
            out [used++] = *json++;
            avail--;
        }
    }
    out [used] = 0;
    return out;
}

//  The escaped form of the character at `in` (of `avail` bytes) into
//  `piece` (16 bytes); its length, and in *consumed the bytes it stands
//  for. 0 when the character is cut short and `last` is false: the caller
//  keeps those bytes for the next part.
static size_t
s_escape_one (const unsigned char *in, size_t avail, bool last, char *piece, size_t *consumed)
{
    uint32_t code = 0;
    size_t length = s_utf8_decode (in, avail, &code);
    if (length == S_CUT_SHORT && !last)
        return 0;
    if (length == 0 || length == S_CUT_SHORT || code < 0x20 || code == 0x7F) {
        *consumed = 1;
        return (size_t) snprintf (piece, 16, "\\x%02x", *in);
    }
    *consumed = length;
    if (s_hidden (code))
        return (size_t) snprintf (piece, 16, "\\u%04x", (unsigned) code);
    memcpy (piece, in, length);
    return length;
}

size_t
fsh_text_escape_part (const char *data, size_t size, bool last, char *out, size_t *written)
{
    const unsigned char *in = (const unsigned char *) data;
    size_t used = 0, done = 0;
    while (done < size) {
        size_t consumed = 0;
        size_t length = s_escape_one (in + done, size - done, last, out + used, &consumed);
        if (length == 0)
            break;
        used += length;
        done += consumed;
    }
    *written = used;
    return done;
}

char *
fsh_text_escape_into (const char *text, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    const unsigned char *in = (const unsigned char *) (text? text: "");
    size_t avail = strlen ((const char *) in);
    size_t used = 0;
    while (avail) {
        char piece [16];
        size_t consumed = 0;
        size_t piece_length = s_escape_one (in, avail, true, piece, &consumed);
        if (used + piece_length >= size)
            break;
        memcpy (buf + used, piece, piece_length);
        used += piece_length;
        in += consumed;
        avail -= consumed;
    }
    buf [used] = 0;
    return buf;
}

char *
fsh_text_escape (const char *text)
{
    //  Each input byte becomes at most four output bytes ("\xNN"; a
    //  two-byte C1 becomes six, three-byte marks six)
    size_t size = 4 * strlen (text? text: "") + 1;
    char *buf = (char *) malloc (size);
    return buf? fsh_text_escape_into (text, buf, size): NULL;
}
