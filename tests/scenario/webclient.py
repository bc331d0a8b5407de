"""webclient.py - the scenario tests' client of fshare-web.

One request a connection (http.client), the access cookie that the token
of the address fshare-web printed buys, and a poll with a deadline. The
tests that look at raw headers or sockets (web_actions, web_connections)
keep their own lower-level requests.
"""
import http.client
import sys
import time
import urllib.parse


class Web:
    def __init__(self, address, timeout=10):
        self.url = urllib.parse.urlsplit(address)
        self.origin = "http://" + self.url.netloc
        self.timeout = timeout

    def request(self, method, target, headers=None, body=None):
        """(status, the Set-Cookie header or "", the body's bytes)"""
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port,
                                          timeout=self.timeout)
        conn.request(method, target, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, response.getheader("Set-Cookie") or "", data

    def login(self):
        """The cookie ("name=value") for the token; exits when refused."""
        status, cookie, _ = self.request("GET", "/?" + self.url.query)
        if status != 303 or "=" not in cookie:
            sys.exit("no cookie for the token: %d %r" % (status, cookie))
        return cookie.split(";")[0]


def until(deadline, check):
    """check()'s first true result before the deadline (time.monotonic), else None."""
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    return None
