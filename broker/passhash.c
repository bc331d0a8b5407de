/*  passhash.c - the password hashes of the account file. See passhash.h. */
#include "passhash.h"
#include <sodium.h>
#include <ctype.h>

//  Hash parameters beyond these would let a hostile file make each login
//  cost seconds or gigabytes: libsodium's SENSITIVE level is t=4, 1 GiB.
#define PASSHASH_T_MAX 16
#define PASSHASH_M_MAX (1024 * 1024)      //  KiB, so 1 GiB
#define PASSHASH_P_MAX 16

#define PASSHASH_PREFIX "$argon2id$v=19$m="

//  Parses an unsigned decimal at *s, at most max; advances *s. -1 if none.
static long
s_parse_number (const char **s, long max)
{
    const char *c = *s;
    if (!isdigit ((unsigned char) *c) || (*c == '0' && isdigit ((unsigned char) c [1])))
        return -1;
    long value = 0;
    for (; isdigit ((unsigned char) *c); c++) {
        value = value * 10 + (*c - '0');
        if (value > max)
            return -1;
    }
    *s = c;
    return value;
}

static bool
s_expect (const char **s, const char *literal)
{
    size_t len = strlen (literal);
    if (strncmp (*s, literal, len))
        return false;
    *s += len;
    return true;
}

//  Skips a non-empty run of unpadded base64; false when there is none.
static bool
s_skip_base64 (const char **s)
{
    const char *c = *s;
    while (isalnum ((unsigned char) *c) || *c == '+' || *c == '/')
        c++;
    if (c == *s)
        return false;
    *s = c;
    return true;
}

bool
passhash_valid (const char *hash)
{
    if (!hash || strnlen (hash, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES)
        return false;
    const char *s = hash;
    if (!s_expect (&s, PASSHASH_PREFIX))
        return false;
    long m = s_parse_number (&s, PASSHASH_M_MAX);
    if (m < 0 || !s_expect (&s, ",t="))
        return false;
    long t = s_parse_number (&s, PASSHASH_T_MAX);
    if (t < 1 || !s_expect (&s, ",p="))
        return false;
    long p = s_parse_number (&s, PASSHASH_P_MAX);
    if (p < 1 || !s_expect (&s, "$") || !s_skip_base64 (&s)
    ||  !s_expect (&s, "$") || !s_skip_base64 (&s) || *s)
        return false;
    //  Our syntax check passed; libsodium's decoder has the last word
    //  (salt and hash lengths, memory versus lanes).
    if (sodium_init () < 0)
        return false;
    char copy [crypto_pwhash_STRBYTES] = { 0 };
    memcpy (copy, hash, strlen (hash));
    return crypto_pwhash_str_needs_rehash (copy, 1, crypto_pwhash_MEMLIMIT_MIN) != -1;
}

char *
passhash_new (const char *password, passhash_cost_t cost)
{
    if (!password || sodium_init () < 0)
        return NULL;
    unsigned long long opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (cost == PASSHASH_COST_MIN) {
        opslimit = crypto_pwhash_OPSLIMIT_MIN;
        memlimit = crypto_pwhash_MEMLIMIT_MIN;
    }
    char out [crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg (out, password, strlen (password), opslimit, memlimit,
                               crypto_pwhash_ALG_ARGON2ID13) != 0)
        return NULL;
    return strdup (out);
}

bool
passhash_verify (const char *hash, const char *password)
{
    //  The validity check also bounds the work a hash can ask for.
    if (!password || !passhash_valid (hash))
        return false;
    char copy [crypto_pwhash_STRBYTES] = { 0 };
    memcpy (copy, hash, strlen (hash));
    return crypto_pwhash_str_verify (copy, password, strlen (password)) == 0;
}
