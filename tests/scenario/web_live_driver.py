"""web_live_driver.py - drives fshare-web in headless Chromium (python3-selenium)
for tests/scenario/web_page_live.sh: a big listing's closed folders open, a
refused live stream is tried again, a page of an fshare-web started again
says so. Named .py so that CMake does not take it for a scenario. Exits 0
when every check held, 1 (with the reason) otherwise.

Environment: WEB_URL (the printed address with its token), T (the test's
directory), WEB_PID and WEB_CMD (to stop fshare-web and start it again on
the same port; the new pid goes to $T/web2.pid).
"""
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webclient import Web  # noqa: E402

URL = os.environ["WEB_URL"]
T = os.environ["T"]
WEB = Web(URL)
STREAMS = 64                    # HUB_CLIENTS


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def wait_for(driver, seconds, condition, what):
    """condition(driver) within seconds, else fail saying `what` (a text,
    or a function of the page then: the page may change meanwhile)."""
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.05).until(
            lambda d: condition(d))
    except TimeoutException:
        driver.save_screenshot(os.path.join(T, "web-live-failed.png"))
        fail("%s (within %s s); banner: %r" % (what(driver) if callable(what) else what,
                                              seconds, banner(driver)))


def page_text(driver):
    return js(driver, "return document.body ? document.body.innerText.slice(0, 200) : '';")


def js(driver, script, *args):
    """Reads the page in one step: parts of it are replaced as events come."""
    return driver.execute_script(script, *args)


def banner(driver):
    return js(driver, "const b = document.getElementById('banner');"
                      "return b && !b.hidden ? b.textContent : '';")


def group(user, folder):
    return 'details.group[data-user="%s"][data-dir="%s"]' % (user, folder)


def rows_of(driver, selector):
    """How many rows the folder shows, and whether it is open: (rows, open)."""
    return tuple(js(driver, "const g = document.querySelector(arguments[0]);"
                            "return g ? [g.querySelectorAll('tr.file').length, g.open] : [0, false];",
                    selector))


def start_browser(script=True):
    options = webdriver.ChromeOptions()
    if not script:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--user-data-dir=" + os.path.join(T, "chrome" if script else "chrome-plain")):
        options.add_argument(argument)
    service = Service("/usr/bin/chromedriver", log_output=os.path.join(T, "chromedriver.log"))
    return webdriver.Chrome(service=service, options=options)


def check_folders(driver):
    """The 2,100 files of big/ come closed; a click opens it with its first
    500 rows, and it stays open; small/ opens from the keyboard alone."""
    big = group("alice", "big")
    wait_for(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, big + "[data-lazy]"),
             "big/ is not shown closed in a listing of 4,208 files")
    driver.find_element(By.CSS_SELECTOR, big + " > summary").click()
    wait_for(driver, 10, lambda d: rows_of(d, big) == (500, True),
             lambda d: "big/ opened by a click does not show its 500 first files: %r" % (rows_of(d, big),))
    # Still open a while later: nothing fetched it closed again
    time.sleep(0.5)
    if rows_of(driver, big) != (500, True):
        fail("big/ closed again after it was opened: %r" % (rows_of(driver, big),))
    small = group("alice", "small")
    js(driver, "document.querySelector(arguments[0] + ' > summary').focus();", small)
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(driver, 10, lambda d: rows_of(d, small) == (3, True),
             lambda d: "small/ opened from the keyboard does not show its 3 files: %r" % (rows_of(d, small),))
    print("folders of a big listing open, by click and keyboard")


def open_stream(jar):
    """A live stream with the page's cookie (a raw socket), or None when refused."""
    sock = socket.create_connection((WEB.url.hostname, WEB.url.port), timeout=10)
    sock.sendall(b"GET /events HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n\r\n"
                 % (WEB.url.netloc.encode(), jar.encode()))
    head = b""
    while b"\r\n\r\n" not in head:
        data = sock.recv(4096)
        if not data:
            break
        head += data
    if head.startswith(b"HTTP/1.1 200"):
        return sock
    if not head.startswith(b"HTTP/1.1 503"):
        fail("a stream got %r" % head[:40])
    sock.close()
    return None


def check_focus(driver, jar):
    """Focus on carol's Download button of small/s1.txt stays there when
    the page refreshes a part of itself (here the downloads panel), though
    alice has a file of the same path, earlier in the page."""
    small = group("carol", "small")
    driver.find_element(By.CSS_SELECTOR, small + " > summary").click()
    wait_for(driver, 10, lambda d: rows_of(d, small) == (3, True), "carol's small/ does not open")
    row = 'tr.file[data-user="carol"][data-path="small/s1.txt"]'
    js(driver, "document.querySelector(arguments[0] + ' button').focus();", row)
    headers = {"Cookie": jar, "Origin": WEB.origin, "Accept": "application/json",
               "Content-Type": "application/x-www-form-urlencoded"}
    status, _, data = WEB.request("POST", "/download", headers, "user=alice&path=small/s0.txt")
    if status != 200:
        fail("a download: %d %r" % (status, data[:200]))
    wait_for(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, "li.job"),
             "the download does not show in the panel")
    time.sleep(0.5)             # let the refreshes it causes run
    where = js(driver, "const e = document.activeElement; const r = e && e.closest('tr.file');"
                       "return r ? r.dataset.user + ' ' + r.dataset.path : (e ? e.tagName : null);")
    if where != "carol small/s1.txt":
        fail("the focus moved from carol's small/s1.txt to %r" % where)
    print("focus stays on its row")


def check_long_names(driver):
    """A 250-byte name without spaces wraps: its row's download button is
    within the window, and the page does not scroll sideways."""
    folder = "x" * 200
    driver.get(URL.split("/?", 1)[0] + "/?u=alice&d=" + folder)
    where = js(driver, "const b = document.querySelector('tr.file button');"
                       "if (!b) return null; const r = b.getBoundingClientRect();"
                       "return [r.right, window.innerWidth, document.documentElement.scrollWidth];")
    if not where:
        fail("the folder page of a long name lists no file")
    right, width, scroll = where
    if right > width or scroll > width:
        driver.save_screenshot(os.path.join(T, "web-live-failed.png"))
        fail("a long name puts its download button at %d px of a %d px window (the page %d px wide)"
             % (right, width, scroll))
    print("long names wrap")


def check_without_script():
    """The page without JavaScript: a folder's link shows its files, the
    filter is a form, and a download button and then its cancel button
    work as plain form posts (they were refused: under no-referrer the
    browser sent Origin: null)."""
    driver = start_browser(script=False)
    try:
        driver.get(URL)
        if driver.find_elements(By.CSS_SELECTOR, "body.live"):
            fail("the page's script ran in a browser without JavaScript")
        small = group("alice", "small")
        driver.find_element(By.CSS_SELECTOR, small + " > summary").click()
        driver.find_element(By.CSS_SELECTOR, small + " p.lazy a").click()
        wait_for(driver, 10, lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr.file")) == 3,
                 "the folder's page without script does not list its 3 files")
        driver.find_element(By.CSS_SELECTOR, 'tr.file[data-path="small/s2.txt"] button').click()
        wait_for(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, "li.job form.act button"),
                 lambda d: "a download without script: %r" % page_text(d))
        driver.find_element(By.CSS_SELECTOR, "li.job form.act button").click()
        wait_for(driver, 10, lambda d: urllib.parse.urlsplit(d.current_url).path == "/"
                 and d.find_elements(By.ID, "downloads"),
                 lambda d: "a cancel without script: %r" % page_text(d))

        def cancelled(d):
            # the agent ends it a moment later: without script, one reloads
            d.refresh()
            return d.find_elements(By.CSS_SELECTOR, 'li.job[data-state="cancelled"]')
        wait_for(driver, 10, cancelled, "the download cancelled without script does not say so")
        driver.find_element(By.ID, "q").send_keys("*/s1.txt" + Keys.ENTER)
        wait_for(driver, 10, lambda d: [e.get_attribute("data-user") + " " + e.get_attribute("data-path")
                                        for e in d.find_elements(By.CSS_SELECTOR, "tr.file")]
                 == ["alice small/s1.txt", "carol small/s1.txt"],
                 "the filter form without script does not narrow to small/s1.txt")
    finally:
        driver.quit()
    print("the page works without script")


def hold_streams(jar, count):
    """count live streams held open; the browser's last page may still hold
    one for a moment (given back within half a second)."""
    held = []
    deadline = time.monotonic() + 10
    while len(held) < count and time.monotonic() < deadline:
        sock = open_stream(jar)
        if sock:
            held.append(sock)
        else:
            time.sleep(0.1)
    if len(held) < count:
        fail("only %d streams could be held" % len(held))
    return held


def check_refused_stream(driver, jar):
    """With every stream held, a page's own is refused (503): it says so;
    once the streams are let go it is live again (a download started
    elsewhere shows in its panel without a reload)."""
    driver.get("about:blank")
    held = hold_streams(jar, STREAMS)
    driver.get(URL)
    wait_for(driver, 10, lambda d: "Too many pages" in banner(d),
             "the page whose stream was refused does not say why")
    js(driver, "window.notReloaded = true;")
    for sock in held:
        sock.close()
    wait_for(driver, 20, lambda d: not banner(d),
             "the banner stayed after the streams were let go")
    headers = {"Cookie": jar, "Origin": WEB.origin, "Accept": "application/json",
               "Content-Type": "application/x-www-form-urlencoded"}
    status, _, data = WEB.request("POST", "/download", headers, "user=alice&path=small/s1.txt")
    if status != 200:
        fail("a download: %d %r" % (status, data[:200]))
    wait_for(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, "li.job"),
             "the page is not live again: a download does not show in its panel")
    if not js(driver, "return window.notReloaded === true;"):
        fail("the page reloaded itself")
    print("a refused stream is tried again")


def check_restarted(driver):
    """fshare-web stopped and started again on the same port: the page says
    it is no longer valid (the new token), not that it is reconnecting."""
    os.kill(int(os.environ["WEB_PID"]), signal.SIGTERM)
    wait_for(driver, 10, lambda d: "reconnecting" in banner(d),
             "no banner while fshare-web is stopped")

    def port_free(d):
        # the stream ends before the listening socket closes (and under
        # ASan the exit takes a while): the next one binds the port after
        try:
            socket.create_connection((WEB.url.hostname, WEB.url.port), timeout=1).close()
            return False
        except OSError:
            return True
    wait_for(driver, 60, port_free, "the stopped fshare-web still holds its port")
    with open(os.path.join(T, "web2.log"), "wb") as log:
        web = subprocess.Popen(shlex.split(os.environ["WEB_CMD"]), stdout=log,
                               stderr=subprocess.STDOUT)
    with open(os.path.join(T, "web2.pid"), "w") as out:
        out.write(str(web.pid))
    wait_for(driver, 20, lambda d: "started again" in banner(d),
             "the page of a restarted fshare-web does not say so")
    print("banner: " + banner(driver))


def main():
    jar = WEB.login()
    check_without_script()
    driver = start_browser()
    try:
        driver.get(URL)
        if "token=" in driver.current_url:
            fail("the token stayed in the address bar: " + driver.current_url)
        wait_for(driver, 5, lambda d: d.find_elements(By.CSS_SELECTOR, "body.live"),
                 "the page's script did not start")
        check_folders(driver)
        check_focus(driver, jar)
        check_long_names(driver)
        check_refused_stream(driver, jar)
        check_restarted(driver)
    finally:
        driver.quit()
    print("live page checks passed")


main()
