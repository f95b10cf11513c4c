"""The desk in a real headless Chromium against ``crosspost run``: sign in, queue, previews,
editing past the limit, cancel, inert titles, CSRF, viewers, /docs offline, phone width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.conftest import EDITOR, PASSWORD, VIEWER, RunningDesk, screenshot_dir

pytestmark = pytest.mark.slow

BODY = ("The city council approved the new budget on Monday after a four-hour debate. "
        "It funds two new bridges over the river and a tram line to the airport. "
        "Construction on the first bridge starts in the spring, the mayor said.")


def wait(browser: Any, seconds: float = 15) -> WebDriverWait[Any]:
    """A wait on the browser."""
    return WebDriverWait(browser, seconds)


def sign_in(browser: Any, desk: RunningDesk, name: str) -> None:
    """Sign out whoever is in, then sign in as ``name`` through the form."""
    browser.delete_all_cookies()
    browser.get(desk.url + "/")
    wait(browser).until(ec.url_contains("/login"))
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".who")))


def queue_story(browser: Any, desk: RunningDesk, url: str, title: str, text: str = BODY,
                image: str = "", alt: str = "", hold: bool = False) -> int:
    """Queue a story through the queue page's form; returns its id."""
    browser.get(desk.url + "/")
    panel = browser.find_element(By.CSS_SELECTOR, "details.panel")
    if panel.get_attribute("open") is None:
        panel.find_element(By.TAG_NAME, "summary").click()
    browser.find_element(By.ID, "new-url").send_keys(url)
    browser.find_element(By.ID, "new-title").send_keys(title)
    browser.find_element(By.ID, "new-text").send_keys(text)
    browser.find_element(By.ID, "new-image").send_keys(image)
    browser.find_element(By.ID, "new-alt").send_keys(alt)
    if hold:
        browser.find_element(By.NAME, "needs_approval").click()
    browser.find_element(By.CSS_SELECTOR, "form[action='/stories'] button").click()
    wait(browser).until(ec.url_matches(r"/stories/\d+$"))
    return int(browser.current_url.rsplit("/", 1)[1])


def follow(browser: Any, element: Any) -> None:
    """Click a link or button and wait for the next page to replace this one."""
    old = browser.find_element(By.TAG_NAME, "html")
    element.click()
    wait(browser).until(ec.staleness_of(old))


def full_screenshot(browser: Any, path: Path) -> None:
    """The whole page at 900 px wide (at most 2400 px tall)."""
    browser.set_window_size(900, 900)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(900, min(int(height) + 140, 2400))
    browser.save_screenshot(str(path))
    browser.set_window_size(1000, 900)


def delivery(browser: Any, target: str) -> Any:
    """The story page's section for ``target``."""
    for section in browser.find_elements(By.CSS_SELECTOR, "section.delivery"):
        if section.find_element(By.TAG_NAME, "h2").text.startswith(target):
            return section
    raise AssertionError(f"no section for {target}")


def test_sign_in_queue_and_see_both_previews(browser: Any, desk_server: RunningDesk,
                                            photo_url: str, tmp_path: Path) -> None:
    """An editor signs in, queues a story and sees the Telegram message (bold headline, link,
    preview choice) and the X post with its weighted count; screenshots for the README."""
    sign_in(browser, desk_server, EDITOR)
    photo = photo_url
    story = queue_story(browser, desk_server, "https://example.org/budget",
                        "Council passes budget", image=photo, alt="A bridge over the river")
    assert f"Story #{story} queued." in browser.find_element(By.CSS_SELECTOR, ".note").text
    tg = delivery(browser, "tg-main")
    assert tg.find_element(By.CSS_SELECTOR, "figure.photo img").get_attribute("src") == photo
    caption = tg.find_element(By.CSS_SELECTOR, "figure.photo figcaption")
    assert caption.find_element(By.TAG_NAME, "strong").text == "Council passes budget"
    link = caption.find_element(By.TAG_NAME, "a")
    assert link.get_attribute("href") == "https://example.org/budget"
    assert "caption 1: " in tg.text and "/ 1024 characters" in tg.text
    assert browser.execute_script("return arguments[0].naturalWidth",
                                  tg.find_element(By.CSS_SELECTOR, "figure.photo img")) > 0
    assert "Planned for" in tg.text and "slot" in tg.text.lower()
    x = delivery(browser, "x-main")
    post = x.find_element(By.CSS_SELECTOR, ".xpost .text").text
    assert "https://example.org/budget" in post
    count = x.find_element(By.CSS_SELECTOR, ".xpost .count").text
    assert count.endswith("/ 280 weighted characters"), count
    media = x.find_element(By.CSS_SELECTOR, ".xpost img.media")
    assert media.get_attribute("src") == photo
    assert media.get_attribute("alt") == "A bridge over the river"
    assert int(count.split("/")[0]) <= 280
    shots = screenshot_dir(tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    full_screenshot(browser, shots / "story.png")


def test_editing_the_x_text_past_its_limit_is_refused(browser: Any,
                                                      desk_server: RunningDesk) -> None:
    """Typing past 280 weighted characters shows the live count over the limit, and saving is
    refused with the reason; a text within the limit is saved and recorded with the editor."""
    sign_in(browser, desk_server, EDITOR)
    story = queue_story(browser, desk_server, "https://example.org/edit-me", "Edit me")
    follow(browser, delivery(browser, "x-main").find_element(By.LINK_TEXT, "Edit x-main text"))
    box = browser.find_element(By.ID, "part-1")
    box.clear()
    box.send_keys("Too long. " * 30)  # 300, and 299 once the trailing space is trimmed
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "count-1"), "over by"))
    browser.find_element(By.CSS_SELECTOR, "button[value='save']").click()
    problems = wait(browser).until(ec.presence_of_element_located((By.ID, "problems"))).text
    assert "over the limit of 280 by 19" in problems
    browser.get(f"{desk_server.url}/stories/{story}")
    assert "Too long." not in delivery(browser, "x-main").text
    follow(browser, delivery(browser, "x-main").find_element(By.LINK_TEXT, "Edit x-main text"))
    box = browser.find_element(By.ID, "part-1")
    box.clear()
    box.send_keys("The budget passed: two bridges and a tram. https://example.org/edit-me")
    browser.find_element(By.CSS_SELECTOR, "button[value='save']").click()
    wait(browser).until(ec.url_matches(rf"/stories/{story}(#delivery-\d+)?$"))
    x = delivery(browser, "x-main")
    assert x.find_element(By.CSS_SELECTOR, ".xpost .text").text.startswith("The budget passed")
    x.find_element(By.TAG_NAME, "summary").click()
    assert f"{EDITOR} edited text" in x.find_element(By.CSS_SELECTOR, ".history").text


def test_cancel_asks_first_then_cancels_and_records_who(browser: Any,
                                                        desk_server: RunningDesk) -> None:
    """Cancel goes through a confirmation page; afterwards every target is cancelled and the
    history names the editor."""
    sign_in(browser, desk_server, EDITOR)
    story = queue_story(browser, desk_server, "https://example.org/cancel-me", "Cancel me")
    follow(browser, browser.find_element(By.LINK_TEXT, "Cancel…"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Cancel this story?"
    browser.find_element(By.CSS_SELECTOR, "button.danger").click()
    wait(browser).until(ec.url_to_be(f"{desk_server.url}/stories/{story}"))
    assert "2 posts cancelled." in browser.find_element(By.CSS_SELECTOR, ".note").text
    for target in ("tg-main", "x-main"):
        section = delivery(browser, target)
        assert section.find_element(By.CSS_SELECTOR, "h2 .state").text == "cancelled"
        assert f"{EDITOR} cancelled" in section.find_element(By.CSS_SELECTOR, ".history") \
            .get_attribute("textContent")


def test_approve_and_reject_a_story_held_for_approval(browser: Any,
                                                     desk_server: RunningDesk) -> None:
    """A story held for approval waits on every target; Approve plans it, and Reject (after a
    confirmation, with a reason) keeps another from going out; the history names the editor."""
    sign_in(browser, desk_server, EDITOR)
    story = queue_story(browser, desk_server, "https://example.org/held", "Held for approval",
                        hold=True)
    states = [s.text for s in browser.find_elements(By.CSS_SELECTOR, "section.delivery h2 .state")]
    assert states == ["awaiting_approval", "awaiting_approval"]
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Approve']"))
    assert "2 posts approved." in browser.find_element(By.CSS_SELECTOR, ".note").text
    x = delivery(browser, "x-main")
    assert x.find_element(By.CSS_SELECTOR, "h2 .state").text == "pending"
    assert "Planned for" in x.text
    assert f"{EDITOR} approved" in x.find_element(By.CSS_SELECTOR, ".history") \
        .get_attribute("textContent")
    other = queue_story(browser, desk_server, "https://example.org/held-2", "Not this one",
                        hold=True)
    follow(browser, browser.find_element(By.LINK_TEXT, "Reject…"))
    browser.find_element(By.ID, "reason").send_keys("Legal has not cleared it")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button.danger"))
    assert "2 posts rejected." in browser.find_element(By.CSS_SELECTOR, ".note").text
    tg = delivery(browser, "tg-main")
    assert tg.find_element(By.CSS_SELECTOR, "h2 .state").text != "awaiting_approval"
    assert f"{EDITOR} rejected" in tg.find_element(By.CSS_SELECTOR, ".history") \
        .get_attribute("textContent")
    assert not browser.find_elements(By.XPATH, "//button[text()='Approve']")
    assert story != other


def test_a_script_as_title_renders_inert(browser: Any, desk_server: RunningDesk) -> None:
    """A story titled ``<script>alert(1)</script>`` shows that text on every page and runs
    nothing."""
    title = "<script>alert(1)</script>"
    sign_in(browser, desk_server, EDITOR)
    story = queue_story(browser, desk_server, "https://example.org/xss", title)
    for page in (f"/stories/{story}", "/", f"/stories/{story}/cancel"):
        browser.get(desk_server.url + page)
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018 - raises when no alert is open
        assert title in browser.find_element(By.TAG_NAME, "main").text
        assert browser.execute_script("return document.scripts.length") == 0
    browser.get(f"{desk_server.url}/stories/{story}")
    assert browser.find_element(By.TAG_NAME, "h1").text == f"#{story} {title}"
    assert delivery(browser, "tg-main").find_element(By.CSS_SELECTOR, ".bubble strong").text \
        == title


def _submit_without_token(browser: Any, selector: str) -> str:
    """Remove the CSRF field from the form, submit it, and return the page that answers."""
    old = browser.find_element(By.TAG_NAME, "html")
    browser.execute_script(
        "const f = document.querySelector(arguments[0]);"
        "f.querySelector('input[name=csrf]').remove(); f.submit();", selector)
    wait(browser).until(ec.staleness_of(old))
    wait(browser).until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
    return str(browser.find_element(By.TAG_NAME, "main").text)


def test_every_form_without_its_csrf_token_is_refused(browser: Any,
                                                      desk_server: RunningDesk) -> None:
    """Each of the desk's forms, submitted without its token, is refused and changes nothing."""
    sign_in(browser, desk_server, EDITOR)
    story = queue_story(browser, desk_server, "https://example.org/csrf", "Forms need tokens")
    browser.get(f"{desk_server.url}/stories/{story}")
    edit = delivery(browser, "x-main").find_element(By.LINK_TEXT, "Edit x-main text") \
        .get_attribute("href")
    pages = {
        "/": ["form[action='/stories']", "form[action='/logout']"],
        f"/stories/{story}/cancel": [f"form[action='/stories/{story}/cancel']"],
        f"/stories/{story}/retry": [f"form[action='/stories/{story}/retry']"],
        edit.replace(desk_server.url, ""): ["form[data-check]"],
    }
    tried = 0
    for page, forms in pages.items():
        for selector in forms:
            browser.get(desk_server.url + page)
            if selector == "form[action='/stories']":
                browser.execute_script("document.getElementById('new-url').value = "
                                       "'https://example.org/no-token'")
            answer = _submit_without_token(browser, selector)
            assert "security token" in answer, (page, selector, answer)
            tried += 1
    browser.delete_all_cookies()
    browser.get(desk_server.url + "/login")
    browser.find_element(By.ID, "name").send_keys(EDITOR)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    assert "security token" in _submit_without_token(browser, "form[action='/login']") or \
        "did not come from the desk" in browser.find_element(By.TAG_NAME, "main").text
    sign_in(browser, desk_server, EDITOR)
    browser.get(f"{desk_server.url}/stories/{story}")
    assert delivery(browser, "x-main").find_element(By.CSS_SELECTOR, "h2 .state").text == "pending"
    assert "no-token" not in browser.find_element(By.TAG_NAME, "body").text
    browser.get(desk_server.url + "/?q=no-token")
    assert "No stories match" in browser.find_element(By.TAG_NAME, "main").text
    assert tried == 5


def test_a_viewer_reads_but_cannot_act(browser: Any, desk_server: RunningDesk) -> None:
    """A viewer sees stories and previews but no action, and a forged cancel is refused."""
    sign_in(browser, desk_server, EDITOR)
    story = queue_story(browser, desk_server, "https://example.org/viewer", "Only to read")
    sign_in(browser, desk_server, VIEWER)
    browser.get(f"{desk_server.url}/stories/{story}")
    assert browser.find_element(By.CSS_SELECTOR, ".xpost")
    assert not browser.find_elements(By.LINK_TEXT, "Cancel…")
    assert not browser.find_elements(By.PARTIAL_LINK_TEXT, "Edit")
    browser.get(desk_server.url + "/")
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action='/stories']")
    token = browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] input[name=csrf]") \
        .get_attribute("value")
    old = browser.find_element(By.TAG_NAME, "html")
    browser.execute_script(
        "const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];"
        "const i = document.createElement('input'); i.name = 'csrf'; i.value = arguments[1];"
        "f.appendChild(i); document.body.appendChild(f); f.submit();",
        f"/stories/{story}/cancel", token)
    wait(browser).until(ec.staleness_of(old))
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".error")))
    assert "role: viewer" in browser.find_element(By.CSS_SELECTOR, ".error").text
    browser.get(f"{desk_server.url}/stories/{story}")
    assert delivery(browser, "tg-main").find_element(By.CSS_SELECTOR, "h2 .state").text == "pending"


def test_docs_render_with_the_network_cut(browser: Any, desk_server: RunningDesk) -> None:
    """/docs draws Swagger UI from files the server ships; nothing comes from another host."""
    browser.get(desk_server.url + "/docs")
    title = wait(browser).until(ec.presence_of_element_located(
        (By.CSS_SELECTOR, ".swagger-ui .info .title")))
    assert title.text.startswith("crosspost")
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(name.startswith(desk_server.url) for name in loaded), loaded


def test_queue_filters_and_status_with_screenshots(browser: Any, desk_server: RunningDesk,
                                                  tmp_path: Path) -> None:
    """The queue lists the stories the tests queued, newest first, and filters them by state and
    text; the status page shows each target's counts and next slots; screenshots of both."""
    sign_in(browser, desk_server, EDITOR)
    queue_story(browser, desk_server, "https://example.org/tram", "Tram line to the airport "
                "approved", "The tram line will take 25 minutes from the centre to the airport.")
    browser.get(desk_server.url + "/")
    titles = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".story h2")]
    assert titles[0].endswith("Tram line to the airport approved")
    ids = [int(t.split()[0][1:]) for t in titles]
    assert ids == sorted(ids, reverse=True) and len(ids) >= 2
    shots = screenshot_dir(tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    full_screenshot(browser, shots / "queue.png")
    browser.find_element(By.ID, "f-q").send_keys("tram")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    wait(browser).until(ec.url_contains("q=tram"))
    assert [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".story h2")] == [titles[0]]
    browser.get(desk_server.url + "/?state=cancelled")
    for story in browser.find_elements(By.CSS_SELECTOR, ".story"):
        assert "cancelled" in story.find_element(By.CSS_SELECTOR, ".targets").text
    browser.get(desk_server.url + "/status")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Status"
    cards = browser.find_element(By.CSS_SELECTOR, ".cards").text
    assert "tg-main" in cards and "x-main" in cards and "pending" in cards
    slots = browser.find_elements(By.CSS_SELECTOR, ".card ol li")
    assert len(slots) == 20 and all("04:00" in s.text for s in slots)
    full_screenshot(browser, shots / "status.png")


def test_the_keyboard_reaches_everything(browser: Any, desk_server: RunningDesk) -> None:
    """The first Tab lands on "Skip to content"; a story can be queued with the keyboard alone."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    sign_in(browser, desk_server, EDITOR)
    browser.get(desk_server.url + "/")
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element.text == "Skip to content"
    summary = browser.find_element(By.CSS_SELECTOR, "details.panel summary")
    if browser.find_element(By.CSS_SELECTOR, "details.panel").get_attribute("open") is None:
        summary.send_keys(Keys.ENTER)  # opens the "Queue a story" panel
    summary.send_keys(Keys.TAB)
    typed = ["https://example.org/keys", "Typed by keyboard", "A story typed without a mouse."]
    for value in typed:
        browser.switch_to.active_element.send_keys(value, Keys.TAB)
    assert browser.find_element(By.ID, "new-title").get_attribute("value") == typed[1]
    browser.find_element(By.ID, "new-title").send_keys(Keys.ENTER)
    wait(browser).until(ec.url_matches(r"/stories/\d+$"))
    assert browser.find_element(By.TAG_NAME, "h1").text.endswith("Typed by keyboard")


def test_pages_fit_a_phone(browser: Any, desk_server: RunningDesk) -> None:
    """At 375 px wide no page scrolls sideways, and every form field has a label."""
    sign_in(browser, desk_server, EDITOR)
    story = queue_story(browser, desk_server, "https://example.org/phone/" + "long-path-" * 12,
                        "A headline that is long enough to wrap on a narrow phone screen")
    browser.set_window_size(375, 800)
    try:
        for page in ("/", f"/stories/{story}", "/status", f"/stories/{story}/cancel"):
            browser.get(desk_server.url + page)
            width = browser.execute_script("return document.documentElement.scrollWidth")
            assert width <= browser.execute_script("return window.innerWidth"), (page, width)
            unlabeled = browser.execute_script(
                "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
                ".filter(e => !e.labels || e.labels.length === 0).map(e => e.outerHTML)")
            assert unlabeled == [], (page, unlabeled)
    finally:
        browser.set_window_size(1000, 900)
