/*  test_curve.c - proto/curve.c: Z85 key checks, the secure-by-default
    rule, the broker certificate on disk (created 0600, reloaded, refused
    when open to others, malformed or mismatched). The path limits a
    broker can tighten (proto/bounds.c) are in test_bounds.c.
*/
#include "fixture.h"
#include <sys/stat.h>

//  Only the fixture's temporary directory: no broker here
static int
s_setup (void **state)
{
    *state = fixture_new ("curve");
    return 0;
}

static void
s_write (const char *path, const char *text, mode_t mode)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
    assert_int_equal (chmod (path, mode), 0);
}

static void
test_key_check (void **state)
{
    (void) state;
    zcert_t *cert = zcert_new ();
    assert_null (fsh_curve_key_check (zcert_public_txt (cert)));
    zcert_destroy (&cert);
    assert_non_null (fsh_curve_key_check (NULL));
    assert_non_null (fsh_curve_key_check (""));
    assert_non_null (fsh_curve_key_check ("short"));
    //  41 characters, and 40 with a character outside Z85
    assert_non_null (fsh_curve_key_check ("0123456789012345678901234567890123456789a"));
    assert_non_null (fsh_curve_key_check ("012345678901234567890123456789012345678\""));
    assert_non_null (fsh_curve_key_check ("01234567890123456789012345678901234567 8"));
    assert_null (fsh_curve_key_check ("0123456789012345678901234567890123456789"));
}

static void
test_wanted (void **state)
{
    (void) state;
    const char *ipc = "ipc:///tmp/x", *lo = "tcp://127.0.0.1:5555";
    const char *any = "tcp://0.0.0.0:5555", *lan = "tcp://192.168.1.2:5556";
    assert_false (fsh_curve_wanted (-1, ipc, lo));
    assert_true (fsh_curve_wanted (-1, any, lo));
    assert_true (fsh_curve_wanted (-1, lo, lan));
    assert_true (fsh_curve_wanted (-1, "tcp://*:5555", lo));
    assert_true (fsh_curve_wanted (1, ipc, lo));
    assert_false (fsh_curve_wanted (0, any, lan));
}

static void
test_cert_create_and_reload (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    char *dir = zsys_sprintf ("%s/state/fshare", fx->dir);
    bool created = false;
    char *error = NULL;
    zcert_t *cert = fsh_curve_broker_cert (dir, &created, &error);
    assert_non_null (cert);
    assert_null (error);
    assert_true (created);
    assert_null (fsh_curve_key_check (zcert_public_txt (cert)));

    char *secret = zsys_sprintf ("%s/%s_secret", dir, FSH_CURVE_CERT_NAME);
    char *public = zsys_sprintf ("%s/%s", dir, FSH_CURVE_CERT_NAME);
    struct stat st;
    assert_int_equal (stat (secret, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    assert_int_equal (stat (dir, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    //  The public file holds the public key and not the secret one
    zchunk_t *chunk = zchunk_slurp (public, 0);
    assert_non_null (chunk);
    char *text = zchunk_strdup (chunk);
    assert_non_null (strstr (text, zcert_public_txt (cert)));
    assert_null (strstr (text, zcert_secret_txt (cert)));
    zstr_free (&text);
    zchunk_destroy (&chunk);

    //  Loaded again: the same key, not a new one
    zcert_t *again = fsh_curve_broker_cert (dir, &created, &error);
    assert_non_null (again);
    assert_false (created);
    assert_true (zcert_eq (cert, again));
    zcert_destroy (&again);

    //  Readable by others: refused, with the way out in the message
    assert_int_equal (chmod (secret, 0644), 0);
    again = fsh_curve_broker_cert (dir, &created, &error);
    assert_null (again);
    assert_non_null (strstr (error, "readable by others"));
    assert_non_null (strstr (error, "chmod 600"));
    zstr_free (&error);
    assert_int_equal (chmod (secret, 0600), 0);

    zcert_destroy (&cert);
    zstr_free (&secret);
    zstr_free (&public);
    zstr_free (&dir);
}

static void
test_cert_refused (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    char *dir = zsys_sprintf ("%s/bad", fx->dir);
    assert_int_equal (fsh_mkdirs (dir, 0700), 0);
    char *secret = zsys_sprintf ("%s/%s_secret", dir, FSH_CURVE_CERT_NAME);
    zcert_t *one = zcert_new ();
    zcert_t *two = zcert_new ();
    const char *bad [] = {
        "this is { not ZPL\n",
        "curve\n    public-key = \"short\"\n    secret-key = \"short\"\n",
        "metadata\n",
        NULL, NULL
    };
    //  Well-formed, but the public key belongs to another secret key
    char *mismatched = zsys_sprintf ("curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n",
                                     zcert_public_txt (one), zcert_secret_txt (two));
    bad [3] = mismatched;
    for (int i = 0; bad [i]; i++) {
        s_write (secret, bad [i], 0600);
        bool created = true;
        char *error = NULL;
        zcert_t *cert = fsh_curve_broker_cert (dir, &created, &error);
        assert_null (cert);
        assert_false (created);
        assert_non_null (error);
        assert_non_null (strstr (error, secret));
        zstr_free (&error);
    }
    //  A good one written by hand (the format zcert writes) is taken
    char *good = zsys_sprintf ("#  comment\ncurve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n",
                               zcert_public_txt (one), zcert_secret_txt (one));
    s_write (secret, good, 0600);
    bool created;
    char *error = NULL;
    zcert_t *cert = fsh_curve_broker_cert (dir, &created, &error);
    assert_non_null (cert);
    assert_true (zcert_eq (cert, one));
    zcert_destroy (&cert);
    //  A symbolic link in place of the secret file is not followed
    assert_int_equal (unlink (secret), 0);
    char *elsewhere = zsys_sprintf ("%s/elsewhere", dir);
    s_write (elsewhere, good, 0600);
    assert_int_equal (symlink (elsewhere, secret), 0);
    cert = fsh_curve_broker_cert (dir, &created, &error);
    assert_null (cert);
    zstr_free (&error);

    zstr_free (&elsewhere);
    zstr_free (&good);
    zstr_free (&mismatched);
    zcert_destroy (&one);
    zcert_destroy (&two);
    zstr_free (&secret);
    zstr_free (&dir);
}

//  A CURVE pair of sockets talks; a client with the wrong server key does not.
static void
test_client_server (void **state)
{
    (void) state;
    zcert_t *server_cert = zcert_new ();
    zcert_t *client_cert = zcert_new ();
    zsock_t *server = zsock_new (ZMQ_PAIR);
    fsh_curve_server (server, server_cert, FSH_ZAP_REQUESTS);
    assert_int_equal (zsock_curve_server (server), 1);
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    zsock_t *client = zsock_new (ZMQ_PAIR);
    fsh_curve_client (client, client_cert, zcert_public_txt (server_cert));
    assert_int_equal (zsock_connect (client, "tcp://127.0.0.1:%d", port), 0);
    zstr_send (client, "hello");
    zsock_set_rcvtimeo (server, 5000);
    char *text = zstr_recv (server);
    assert_non_null (text);
    assert_string_equal (text, "hello");
    zstr_free (&text);
    zsock_destroy (&client);

    zcert_t *other = zcert_new ();
    client = zsock_new (ZMQ_PAIR);
    fsh_curve_client (client, client_cert, zcert_public_txt (other));
    assert_int_equal (zsock_connect (client, "tcp://127.0.0.1:%d", port), 0);
    zstr_send (client, "spoof");
    zsock_set_rcvtimeo (server, 300);
    text = zstr_recv (server);
    assert_null (text);

    //  NULL server key: a plain socket, nothing applied
    zsock_t *plain = zsock_new (ZMQ_PAIR);
    fsh_curve_client (plain, client_cert, NULL);
    assert_int_equal (zsock_mechanism (plain), ZMQ_NULL);
    zsock_destroy (&plain);

    zsock_destroy (&client);
    zsock_destroy (&server);
    zcert_destroy (&other);
    zcert_destroy (&client_cert);
    zcert_destroy (&server_cert);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_key_check),
        cmocka_unit_test (test_wanted),
        cmocka_unit_test_setup_teardown (test_cert_create_and_reload, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_cert_refused, s_setup, fixture_teardown),
        cmocka_unit_test (test_client_server),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
