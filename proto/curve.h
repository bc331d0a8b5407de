/*  curve.h - CURVE encryption for fshare sockets (SPEC 6).

    The broker keeps one long-lived certificate in its state directory
    (`broker.cert`, public, and `broker.cert_secret`, mode 0600); peers and
    taps make a fresh key pair per run and take the broker's public key as
    `--server-key`. Keys on the command line and in logs are Z85 text
    (40 characters).
*/
#ifndef FSH_CURVE_H_INCLUDED
#define FSH_CURVE_H_INCLUDED

#define FSH_CURVE_KEY_LEN      40          //  Z85 text of a 32-byte key
#define FSH_CURVE_CERT_NAME    "broker.cert"
//  ZAP domains of the broker's two server sockets
#define FSH_ZAP_REQUESTS       "requests"
#define FSH_ZAP_EVENTS         "events"

//  NULL when text is a usable Z85 public key, else what is wrong with it.
const char *fsh_curve_key_check (const char *text);

//  Whether a broker uses CURVE: `option` 1 (--curve) or 0 (--no-curve)
//  decides; -1 (neither) means on unless every endpoint it binds is
//  loopback or ipc (secure by default off loopback).
bool fsh_curve_wanted (int option, const char *listen, const char *publish);

//  Load the broker certificate from dir, or create it there (directory
//  mode 0700, secret file 0600, written to a temporary file then renamed).
//  A secret file readable by group or others, a malformed file or a key
//  pair that does not match is refused. Returns NULL with *error (caller
//  frees) on failure; *created says whether the key is new.
zcert_t *fsh_curve_broker_cert (const char *dir, bool *created, char **error);

//  Make sock a CURVE server with cert, in ZAP domain `domain`. Before bind.
void fsh_curve_server (zsock_t *sock, zcert_t *cert, const char *domain);

//  Make sock a CURVE client of the server with public key server_key
//  (Z85), using cert as its own key pair. Before connect. Nothing to do
//  when server_key is NULL.
void fsh_curve_client (zsock_t *sock, zcert_t *cert, const char *server_key);

#endif
