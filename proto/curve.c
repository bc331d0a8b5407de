/*  curve.c - CURVE encryption for fshare sockets. See curve.h. */
#include "fshare.h"
#include "curve.h"
#include <sodium.h>
#include <sys/stat.h>
#include <fcntl.h>

//  A certificate file is a few hundred bytes; anything much larger is not one.
#define CERT_FILE_MAX 4096

static const char s_z85_alphabet [] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

const char *
fsh_curve_key_check (const char *text)
{
    if (!text || !*text)
        return "empty key";
    if (strlen (text) != FSH_CURVE_KEY_LEN)
        return "a CURVE key is 40 characters of Z85 text";
    if (strspn (text, s_z85_alphabet) != FSH_CURVE_KEY_LEN)
        return "a CURVE key holds only Z85 characters";
    uint8_t binary [32];
    if (!zmq_z85_decode (binary, text))
        return "not a valid Z85 key";
    return NULL;
}

bool
fsh_curve_wanted (int option, const char *listen, const char *publish)
{
    if (option >= 0)
        return option > 0;
    return !(fsh_endpoint_is_local (listen) && fsh_endpoint_is_local (publish));
}

//  The Z85 text of `name` in a certificate's "curve" section, decoded.
static const char *
s_cert_key (zconfig_t *root, const char *name, uint8_t *binary)
{
    char path [32];
    snprintf (path, sizeof path, "curve/%s", name);
    const char *text = zconfig_get (root, path, NULL);
    if (!text)
        return "missing key";
    if (fsh_curve_key_check (text))
        return "malformed key";
    zmq_z85_decode (binary, text);
    return NULL;
}

//  Read and check the secret file; NULL with *error on any problem.
static zcert_t *
s_cert_load (const char *secret_path, char **error)
{
    int fd = open (secret_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1) {
        *error = zsys_sprintf ("cannot read %s: %s", secret_path, strerror (errno));
        return NULL;
    }
    struct stat st;
    if (fstat (fd, &st) || !S_ISREG (st.st_mode) || st.st_size > CERT_FILE_MAX) {
        close (fd);
        *error = zsys_sprintf ("%s is not a certificate file", secret_path);
        return NULL;
    }
    //  The secret key is the broker's identity: refuse it when others
    //  could have read it rather than quietly go on.
    if (st.st_uid != geteuid () || (st.st_mode & 077)) {
        close (fd);
        *error = zsys_sprintf ("%s is readable by others (mode %03o): chmod 600 it, "
                               "or delete it to make a new key", secret_path,
                               (unsigned) (st.st_mode & 0777));
        return NULL;
    }
    FILE *file = fdopen (fd, "r");
    zchunk_t *chunk = file? zchunk_read (file, CERT_FILE_MAX): NULL;
    if (file)
        fclose (file);
    else
        close (fd);
    //  zconfig_load leaks on malformed input (CZMQ 4.2.1); a chunk does not
    zconfig_t *root = chunk? zconfig_chunk_load (chunk): NULL;
    zchunk_destroy (&chunk);
    uint8_t public_key [32], secret_key [32], derived [32];
    const char *problem = root? s_cert_key (root, "public-key", public_key)
                              : "not a certificate (ZPL) file";
    if (!problem)
        problem = s_cert_key (root, "secret-key", secret_key);
    if (!problem && (crypto_scalarmult_base (derived, secret_key) != 0
                 ||  sodium_memcmp (derived, public_key, 32) != 0))
        problem = "the public key does not belong to the secret key";
    zconfig_destroy (&root);
    zcert_t *cert = problem? NULL: zcert_new_from (public_key, secret_key);
    sodium_memzero (secret_key, sizeof secret_key);
    if (problem)
        *error = zsys_sprintf ("%s: %s", secret_path, problem);
    return cert;
}

//  Write the secret file: a temporary file made 0600 from the start, then
//  renamed, so no one ever sees a half-written or open secret.
static int
s_cert_write_secret (zcert_t *cert, const char *secret_path)
{
    char *temp = zsys_sprintf ("%s.tmp", secret_path);
    unlink (temp);
    int fd = open (temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1) {
        zstr_free (&temp);
        return -1;
    }
    int written = dprintf (fd,
        "#   fshare broker CURVE certificate: SECRET, keep it mode 0600.\n"
        "#   Peers need only the public key (fshare-broker --print-key).\n"
        "metadata\n"
        "    program = \"fshare-broker\"\n"
        "curve\n"
        "    public-key = \"%s\"\n"
        "    secret-key = \"%s\"\n",
        zcert_public_txt (cert), zcert_secret_txt (cert));
    int rc = written > 0 && fsync (fd) == 0? 0: -1;
    if (close (fd))
        rc = -1;
    if (rc == 0)
        rc = rename (temp, secret_path);
    if (rc)
        unlink (temp);
    zstr_free (&temp);
    return rc;
}

zcert_t *
fsh_curve_broker_cert (const char *dir, bool *created, char **error)
{
    *created = false;
    *error = NULL;
    if (!zsys_has_curve ()) {
        *error = strdup ("this libzmq was built without CURVE support");
        return NULL;
    }
    if (fsh_mkdirs (dir, 0700)) {
        *error = zsys_sprintf ("cannot create %s: %s", dir, strerror (errno));
        return NULL;
    }
    char *public_path = zsys_sprintf ("%s/%s", dir, FSH_CURVE_CERT_NAME);
    char *secret_path = zsys_sprintf ("%s/%s_secret", dir, FSH_CURVE_CERT_NAME);
    zcert_t *cert = NULL;
    struct stat st;
    if (lstat (secret_path, &st) == 0)
        cert = s_cert_load (secret_path, error);
    else
    if (errno != ENOENT)
        *error = zsys_sprintf ("cannot read %s: %s", secret_path, strerror (errno));
    else {
        cert = zcert_new ();
        zcert_set_meta (cert, "program", "fshare-broker");
        if (s_cert_write_secret (cert, secret_path)) {
            *error = zsys_sprintf ("cannot write %s: %s", secret_path, strerror (errno));
            zcert_destroy (&cert);
        }
        else
            *created = true;
    }
    //  The public half, for administrators to hand out; rewritten so it
    //  always matches the secret one.
    if (cert && zcert_save_public (cert, public_path))
        zsys_warning ("curve: cannot write %s: %s", public_path, strerror (errno));
    zstr_free (&public_path);
    zstr_free (&secret_path);
    return cert;
}

void
fsh_curve_server (zsock_t *sock, zcert_t *cert, const char *domain)
{
    zcert_apply (cert, sock);
    zsock_set_curve_server (sock, 1);
    zsock_set_zap_domain (sock, domain);
}

void
fsh_curve_client (zsock_t *sock, zcert_t *cert, const char *server_key)
{
    if (!server_key)
        return;
    zcert_apply (cert, sock);
    zsock_set_curve_serverkey (sock, server_key);
}
