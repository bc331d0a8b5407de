/*  escape.c - text from others, made safe to show on a terminal. See
    escape.h.
*/
#include "fshare.h"
#include "escape.h"

//  Length of the valid UTF-8 sequence at `s` (1..4) and its code point,
//  or 0 for a byte that starts none (overlong, surrogate, beyond U+10FFFF).
static size_t
s_utf8_decode (const unsigned char *s, uint32_t *code)
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

char *
fsh_text_escape_into (const char *text, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    const unsigned char *in = (const unsigned char *) (text? text: "");
    size_t used = 0;
    while (*in) {
        char piece [16];
        uint32_t code = 0;
        size_t length = s_utf8_decode (in, &code);
        if (length == 0 || code < 0x20 || code == 0x7F) {
            snprintf (piece, sizeof piece, "\\x%02x", *in);
            length = 1;
        }
        else
        if (s_hidden (code))
            snprintf (piece, sizeof piece, "\\u%04x", (unsigned) code);
        else {
            memcpy (piece, in, length);
            piece [length] = 0;
        }
        size_t piece_length = strlen (piece);
        if (used + piece_length >= size)
            break;
        memcpy (buf + used, piece, piece_length);
        used += piece_length;
        in += length;
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
