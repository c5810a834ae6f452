"""Drives the chat page of a running `llm serve` in headless Chromium, as a user would: opens
`BASE_URL/`, sets the temperature and the reply length, types a message, presses Send, waits
until the streamed reply has ended, and prints one JSON object of what the page shows
(`tests/serve.rs` checks it). Talks to Chromium with the DevTools protocol over
`--remote-debugging-pipe` (fd 3 in, fd 4 out, NUL-terminated JSON), so it needs nothing but
the standard library.

usage: chat_page_browser.py CHROMIUM BASE_URL MESSAGE MAX_TOKENS [SCREENSHOT.png]
"""

import base64
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time

chromium, base, message, max_tokens = sys.argv[1:5]
screenshot = sys.argv[5] if len(sys.argv) > 5 else None
DEADLINE = time.monotonic() + 120


class DevTools:
    def __init__(self, profile):
        # The pipes' ends above fd 4, so that placing them at 3 and 4 in the child moves
        # each (a dup2 onto itself would leave it close-on-exec).
        def high(fd):
            moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            return moved

        to_browser_read, self.to_browser, self.from_browser, from_browser_write = map(high, os.pipe() + os.pipe())

        def as_fds_3_and_4():
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        self.process = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "--window-size=900,640", "about:blank"],
            preexec_fn=as_fds_3_and_4, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.buffer, self.next_id = b"", 0

    def call(self, method, session=None, **params):
        self.next_id += 1
        command = {"id": self.next_id, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        os.write(self.to_browser, json.dumps(command).encode() + b"\0")
        while True:  # events and other replies are skipped
            reply = self.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def receive(self):
        while b"\0" not in self.buffer:
            if time.monotonic() > DEADLINE:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message_bytes, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message_bytes)

    def close(self):
        try:
            self.call("Browser.close")
        finally:
            self.process.wait(timeout=30)


def evaluate(tools, session, expression):
    result = tools.call("Runtime.evaluate", session, expression=expression, returnByValue=True, awaitPromise=True)
    if "exceptionDetails" in result:
        raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
    return result["result"].get("value")


def wait_for(tools, session, expression, what):
    while time.monotonic() < DEADLINE:
        if evaluate(tools, session, expression):
            return
        time.sleep(0.05)
    raise TimeoutError(f"the page never reached: {what}")


with tempfile.TemporaryDirectory() as profile:
    tools = DevTools(profile)
    try:
        target = tools.call("Target.createTarget", url="about:blank")["targetId"]
        session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        tools.call("Page.navigate", session, url=f"{base}/")
        wait_for(tools, session, "document.readyState === 'complete' && !!document.getElementById('send')", "loaded")
        # What a user does: the settings, then a message and Send.
        evaluate(tools, session, f"""
            document.getElementById('temperature').value = '0';
            document.getElementById('max_tokens').value = {json.dumps(max_tokens)};
            document.getElementById('input').value = {json.dumps(message)};
            document.getElementById('send').click();""")
        wait_for(tools, session, "document.querySelectorAll('.message.assistant').length > 0", "a reply bubble")
        wait_for(tools, session, "document.body.dataset.state === 'idle'", "the reply's end")
        shown = evaluate(tools, session, """({
            title: document.getElementById('title').textContent,
            bubbles: [...document.querySelectorAll('.message')].map(e => ({kind: e.className, text: e.textContent, finish: e.dataset.finish || null})),
            transcript: JSON.parse(document.getElementById('transcript').textContent),
            send_enabled: !document.getElementById('send').disabled,
        })""")
        if screenshot:
            png = tools.call("Page.captureScreenshot", session, format="png")["data"]
            with open(screenshot, "wb") as f:
                f.write(base64.b64decode(png))
    finally:
        tools.close()

print(json.dumps(shown))
