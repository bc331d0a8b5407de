/*  passhash.h - the password hashes of the account file (SPEC 6).

    libsodium's crypto_pwhash_str strings, argon2id only. A hash read from
    the file is checked before libsodium sees it: its parameters are
    bounded, so a hostile file cannot make each login cost seconds or
    gigabytes.
*/
#ifndef PASSHASH_H_INCLUDED
#define PASSHASH_H_INCLUDED

#include "fshare.h"

typedef enum {
    PASSHASH_COST_INTERACTIVE,  //  crypto_pwhash_*_INTERACTIVE: the default
    PASSHASH_COST_MIN           //  *_MIN: only for tests and benchmarks
} passhash_cost_t;

//  argon2id via crypto_pwhash_str. Returns a new string or NULL.
char *passhash_new (const char *password, passhash_cost_t cost);

//  True when password matches hash (crypto_pwhash_str_verify).
bool passhash_verify (const char *hash, const char *password);

//  Checks one hash string looks like an argon2id crypto_pwhash_str output.
bool passhash_valid (const char *hash);

#endif
