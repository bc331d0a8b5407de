"""web_driver.py - drives fshare-web in headless Chromium (python3-selenium),
for tests/scenario/web_page.sh. Named .py so that CMake does not take it for
a scenario. Exits 0 when every check held, 1 (with the reason) otherwise.

Environment: WEB_URL (the printed address with its token), T (the test's
directory: alice_files, bob_dl, broker logs), BROKER_PID and BROKER_CMD (to
kill the broker and start it again; the new pid goes to $T/broker2.pid).
"""
import http.client as httplib
import os
import re
import shlex
import signal
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

URL = os.environ["WEB_URL"]
T = os.environ["T"]
BASE = URL.split("/?", 1)[0]
HOSTPORT = urllib.parse.urlsplit(BASE).netloc


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def http(method, path, headers=None, body=None):
    """One request outside the browser: (status, headers, body)."""
    connection = httplib.HTTPConnection(HOSTPORT, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), data


def row_selector(user, path):
    return 'tr.file[data-user="%s"][data-path="%s"]' % (user, path)


def wait_for(driver, seconds, condition, what):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.02).until(
            lambda d: condition(d))
    except TimeoutException:
        driver.save_screenshot(os.path.join(T, "web-failed.png"))
        fail("%s (within %s s)" % (what, seconds))


def present(selector):
    return lambda d: d.find_elements(By.CSS_SELECTOR, selector)


def absent(selector):
    return lambda d: not d.find_elements(By.CSS_SELECTOR, selector)


def publish(relative, content):
    """A complete file appears in alice's host directory (written, then moved in)."""
    path = os.path.join(T, "alice_files", relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = os.path.join(T, "staging.tmp")
    with open(temporary, "wb") as out:
        out.write(content)
    os.rename(temporary, path)


def same(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def check_security():
    status, headers, _ = http("GET", "/")
    if status != 403:
        fail("a request without the token got %d, not 403" % status)
    if "default-src 'none'" not in headers.get("Content-Security-Policy", ""):
        fail("the refusal has no restrictive Content-Security-Policy")
    status, _, _ = http("GET", "/?token=not-the-token")
    if status != 403:
        fail("a wrong token got %d, not 403" % status)
    status, _, _ = http("GET", "/app.js")
    if status != 403:
        fail("an asset without the cookie got %d, not 403" % status)
    query = urllib.parse.urlsplit(URL).query
    status, headers, _ = http("GET", "/?" + query)
    cookie = headers.get("Set-Cookie", "")
    if status != 303 or "HttpOnly" not in cookie or "SameSite=Strict" not in cookie:
        fail("the token was not exchanged for an HttpOnly SameSite=Strict cookie: %d %s"
             % (status, cookie))
    jar = cookie.split(";", 1)[0]
    status, _, page = http("GET", "/", {"Cookie": jar})
    if status != 200 or b'data-path="hello.txt"' not in page or b"<button" not in page:
        fail("the plain HTML page does not list alice's file (%d)" % status)
    form = "user=alice&path=hello.txt"
    kinds = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": jar}
    status, _, _ = http("POST", "/download", kinds, form)
    if status != 403:
        fail("a POST without Origin got %d, not 403" % status)
    status, _, _ = http("POST", "/download", dict(kinds, Origin="http://evil.example"), form)
    if status != 403:
        fail("a POST from another origin got %d, not 403" % status)
    status, _, _ = http("GET", "/", {"Cookie": jar, "Host": "evil.example:80"})
    if status != 403:
        fail("a request for another Host got %d, not 403" % status)
    status, _, _ = http("POST", "/download", dict(kinds, Origin=BASE), "x" * 10000)
    if status != 413:
        fail("an oversized POST got %d, not 413" % status)
    status, _, _ = http("POST", "/download", dict(kinds, Origin=BASE), "user=alice&path=%00")
    if status != 400:
        fail("a malformed POST got %d, not 400" % status)
    status, _, _ = http("POST", "/download", dict(kinds, Origin=BASE), "user=alice&path=../x")
    if status != 400:
        fail("a traversal path got %d, not 400" % status)
    status, _, _ = http("GET", "/saved?job=999&item=0", {"Cookie": jar})
    if status != 404:
        fail("an unknown download id got %d, not 404" % status)
    status, _, _ = http("GET", "/" + "a" * 5000, {"Cookie": jar})
    if status not in (404, 414):
        fail("an overlong address got %d" % status)
    status, _, _ = http("DELETE", "/", {"Cookie": jar})
    if status != 405:
        fail("DELETE got %d, not 405" % status)
    return jar


def start_browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--user-data-dir=" + os.path.join(T, "chrome")):
        options.add_argument(argument)
    service = Service("/usr/bin/chromedriver", log_output=os.path.join(T, "chromedriver.log"))
    return webdriver.Chrome(service=service, options=options)


def js(driver, script, *args):
    """Reads the page in one step: parts of it are replaced as events come."""
    return driver.execute_script(script, *args)


def newest_job(driver):
    return js(driver, "const j = document.querySelector('li.job'); return j ? j.dataset.job : null;")


def click_download(driver, selector):
    """Clicks the download button of the element matching selector."""
    js(driver, "document.querySelector(arguments[0]).querySelector('form.act button').click();",
       selector)


def wait_job_done(driver, before):
    """The newest job once it is done: (number, href of its first saved file)."""
    wait_for(driver, 10, lambda d: newest_job(d) not in (None, before),
             "the download did not appear in the downloads panel")
    number = newest_job(driver)
    done = 'li.job[data-job="%s"][data-state="done"]' % number
    wait_for(driver, 20, present(done), "download %s did not complete: %s" % (number, js(
        driver, "const j = document.querySelector('li.job'); return j ? j.textContent : '';")))
    href = js(driver, "const a = document.querySelector(arguments[0] + ' a.save');"
                      "return a ? a.href : null;", done)
    return number, href


def main():
    jar = check_security()
    driver = start_browser()
    try:
        run(driver, jar)
    finally:
        driver.quit()


def run(driver, jar):
    driver.get(URL)
    if "token=" in driver.current_url:
        fail("the token stayed in the address bar: " + driver.current_url)
    wait_for(driver, 5, present(row_selector("alice", "hello.txt")), "the page lacks alice's file")
    wait_for(driver, 5, present("body.live"), "the page's script did not start")
    button = driver.find_element(By.CSS_SELECTOR, row_selector("alice", "hello.txt") + " button")
    if not button.accessible_name.startswith("Download"):
        fail("the download control's accessible name is '%s'" % button.accessible_name)

    # A new file appears without a reload, within a second
    driver.execute_script("window.notReloaded = true;")
    publish("docs/new.txt", b"fresh content\n")
    started = time.monotonic()
    wait_for(driver, 1, present(row_selector("alice", "docs/new.txt")),
             "the new file did not appear without a reload")
    print("new file shown after %.0f ms" % ((time.monotonic() - started) * 1000))
    if not driver.execute_script("return window.notReloaded === true;"):
        fail("the page reloaded to show the new file")

    # The filter narrows the list (and widens it again)
    box = driver.find_element(By.ID, "q")
    box.send_keys("**/*.md")     # get's globs: '*' alone stays at the top
    wait_for(driver, 5, absent(row_selector("alice", "hello.txt")), "the filter did not narrow")
    wait_for(driver, 5, present(row_selector("alice", "docs/a.md")), "the filter hid a match")
    # A new match appears under the filter, and its counts follow live
    count_js = "const p = document.querySelector('p.count'); return p ? p.textContent : '';"
    before = js(driver, count_js)
    matched = re.match(r"(\d+) files? match\.$", before or "")
    if not matched:
        fail("the filtered listing says no match count: %r" % before)
    publish("docs/live.md", b"a live match\n")
    wait_for(driver, 5, present(row_selector("alice", "docs/live.md")),
             "a new match did not appear under the filter")
    want = "%d files match." % (int(matched.group(1)) + 1)
    wait_for(driver, 5, lambda d: js(d, count_js) == want,
             "the match count did not become %r" % want)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    wait_for(driver, 5, present(row_selector("alice", "hello.txt")), "clearing the filter")

    # A download saves a file identical to the owner's, offered by job number
    click_download(driver, row_selector("alice", "hello.txt"))
    number, link = wait_job_done(driver, None)
    if not link:
        fail("the finished download offers no saved file")
    parts = urllib.parse.urlsplit(link)
    status, headers, data = http("GET", parts.path + "?" + parts.query, {"Cookie": jar})
    original = os.path.join(T, "alice_files", "hello.txt")
    if status != 200 or data != open(original, "rb").read():
        fail("the offered saved file differs from the owner's (%d)" % status)
    if "attachment" not in headers.get("Content-Disposition", ""):
        fail("the saved file is not offered as an attachment")
    if not same(original, os.path.join(T, "bob_dl", "hello.txt")):
        fail("the agent's saved file differs from the owner's")

    # A folder download completes, started from the keyboard alone
    folder_label = "Download folder docs/ from alice"
    name = js(driver, "return document.querySelector('details.group[data-user=\"alice\"]"
                      "[data-dir=\"docs\"] form.act button').getAttribute('aria-label');")
    if name != folder_label:
        fail("the folder's download control is named '%s'" % name)
    driver.find_element(By.ID, "q").click()
    for _ in range(80):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        if js(driver, "const e = document.activeElement;"
                      "return e && e.getAttribute('aria-label');") == folder_label:
            break
    else:
        fail("the folder's download button cannot be reached with the Tab key")
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    number, _ = wait_job_done(driver, number)
    wait_for(driver, 5, present('li.job[data-job="%s"] details' % number),
             "the folder download lists no saved files")
    for name in ("a.md", "new.txt", "sub/deep.bin"):
        if not same(os.path.join(T, "alice_files", "docs", name), os.path.join(T, "bob_dl", "docs", name)):
            fail("the folder's %s arrived different" % name)
    driver.save_screenshot(os.path.join(T, "web.png"))

    # The broker restarts: the banner shows meanwhile, the page comes back
    os.kill(int(os.environ["BROKER_PID"]), signal.SIGKILL)
    wait_for(driver, 15, lambda d: d.find_element(By.ID, "banner").is_displayed(),
             "no banner while the broker is down")
    print("banner: " + driver.find_element(By.ID, "banner").text)
    driver.save_screenshot(os.path.join(T, "web-banner.png"))
    with open(os.path.join(T, "broker2.log"), "wb") as log:
        broker = subprocess.Popen(shlex.split(os.environ["BROKER_CMD"]), stdout=log,
                                  stderr=subprocess.STDOUT)
    with open(os.path.join(T, "broker2.pid"), "w") as out:
        out.write(str(broker.pid))
    wait_for(driver, 20, lambda d: not d.find_element(By.ID, "banner").is_displayed(),
             "the banner stayed after the broker came back")
    wait_for(driver, 10, present(row_selector("alice", "hello.txt")),
             "alice's file is missing after the broker restart")
    publish("after.txt", b"after the restart\n")
    wait_for(driver, 5, present(row_selector("alice", "after.txt")),
             "a new file after the restart did not appear")
    if not driver.execute_script("return window.notReloaded === true;"):
        fail("the page reloaded during the broker restart")
    driver.save_screenshot(os.path.join(T, "web.png"))
    print("web page checks passed")


main()
