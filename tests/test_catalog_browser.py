"""The catalogue page in a real headless Chromium, served by uvicorn on a loopback port.

Chromium and its driver come from the distribution's packages (`scripts/browser` installs
them); without them these tests skip, except under `CI=true`, where that is a failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser_support import chromium
from tests.conftest import LiveServer
from tests.fixtures.catalog_server import HOSTILE, app

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
WAIT_SECONDS = 15


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def site() -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


class Page:
    """The catalogue page open in the browser, as one caller."""

    def __init__(self, driver: webdriver.Chrome, site: LiveServer, scopes: str | None) -> None:
        self.driver = driver
        self.base = f"http://127.0.0.1:{site.port}"
        driver.get(f"{self.base}/mcp/catalog")
        driver.delete_all_cookies()
        if scopes is not None:
            driver.add_cookie({"name": "scopes", "value": scopes, "path": "/"})
        driver.get(f"{self.base}/mcp/catalog")
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#tools h2"))

    def wait(self, condition: Any) -> Any:
        return WebDriverWait(self.driver, WAIT_SECONDS).until(condition)

    def names(self, section: str) -> list[str]:
        found = self.driver.find_elements(By.CSS_SELECTOR, f"#{section} article h3 code")
        return [element.text for element in found]

    def card(self, name: str) -> WebElement:
        xpath = f"//article[h3/code[text()={_literal(name)}]]"
        return self.driver.find_element(By.XPATH, xpath)

    def field(self, card: WebElement, label: str) -> WebElement:
        found = card.find_element(By.XPATH, f".//label[code[text()={_literal(label)}]]")
        return card.find_element(By.ID, found.get_attribute("for") or "")

    def submit(self, card: WebElement) -> WebElement:
        result = card.find_element(By.CSS_SELECTOR, ".result")
        card.find_element(By.CSS_SELECTOR, "form.try button[type=submit]").click()
        self.wait(lambda d: result.text and "Waiting" not in result.text)
        return result

    def console_errors(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.driver.get_log("browser")  # type: ignore[no-untyped-call]
        return [entry for entry in entries if entry["level"] in ("SEVERE", "WARNING")]


@pytest.fixture
def open_page(browser: webdriver.Chrome, site: LiveServer) -> Iterator[Any]:
    opened: list[Page] = []

    def make(scopes: str | None = None) -> Page:
        page = Page(browser, site, scopes)
        opened.append(page)
        return page

    yield make
    browser.delete_all_cookies()
    for page in opened:
        assert page.console_errors() == []


def test_page_lists_what_a_caller_without_scopes_sees(open_page: Any) -> None:
    page = open_page()
    assert page.names("tools") == [
        "classify_severity",
        "open_ticket",
        "hostile_tool",
        "render_logo",
        "scan",
    ]
    assert page.names("prompts") == ["triage"]
    assert page.names("resources") == ["reports://latest"]
    assert page.names("resourceTemplates") == ["advisories://{advisory_id}"]
    source = page.driver.page_source
    assert "internal_audit" not in source
    assert "secret_triage" not in source
    assert "audit:read" not in source
    heading = page.driver.find_element(By.TAG_NAME, "h1").text
    assert heading == "Vulnerability desk"


def test_scoped_tool_appears_with_its_scope_and_can_be_called(open_page: Any) -> None:
    page = open_page("audit:read")
    assert "internal_audit" in page.names("tools")
    assert "secret_triage" in page.names("prompts")
    card = page.card("internal_audit")
    assert card.find_element(By.CSS_SELECTOR, ".scopes").text == "Requires scope audit:read"
    assert card.find_element(By.CSS_SELECTOR, ".badges").text == "read-only"
    page.field(card, "package").send_keys("requests")
    result = page.submit(card)
    assert "requests: no internal advisories" in result.text


def test_filling_a_form_and_calling_a_tool_shows_its_structured_result(open_page: Any) -> None:
    page = open_page()
    card = page.card("open_ticket")
    page.field(card, "package").send_keys("django")
    Select(page.field(card, "priority")).select_by_visible_text("high")
    page.field(card, "breaking").click()
    page.field(card, "name").send_keys("Ada")
    page.field(card, "labels").send_keys('["urgent", "web"]')
    result = page.submit(card)
    structured = result.find_element(By.CSS_SELECTOR, "pre.structured").text
    assert json.loads(structured) == {
        "summary": "high breaking fix of django for Ada",
        "labels": ["urgent", "web"],
    }
    assert result.find_element(By.CSS_SELECTOR, ".ok-title").text == "Result"
    sent = result.find_element(By.CSS_SELECTOR, "details.sent")
    sent.click()
    assert json.loads(sent.find_element(By.TAG_NAME, "pre").text) == {
        "method": "tools/call",
        "params": {
            "name": "open_ticket",
            "arguments": {
                "package": "django",
                "priority": "high",
                "breaking": True,
                "reporter": {"name": "Ada"},
                "labels": ["urgent", "web"],
            },
        },
    }


def test_bad_input_shows_the_servers_validation_message(open_page: Any, site: LiveServer) -> None:
    expected = _call_directly(site, "classify_severity", {"cvss_score": 42})
    assert expected["isError"] is True
    page = open_page()
    card = page.card("classify_severity")
    page.field(card, "cvss_score").send_keys("42")
    result = page.submit(card)
    assert result.find_element(By.CSS_SELECTOR, ".error-title").get_attribute("role") == "alert"
    shown = result.find_element(By.CSS_SELECTOR, ".content pre").text
    assert shown == expected["content"][0]["text"]
    assert "cvss_score" in shown


def test_json_that_does_not_parse_is_reported_before_any_request(open_page: Any) -> None:
    page = open_page()
    card = page.card("open_ticket")
    labels = page.field(card, "labels")
    labels.send_keys("[urgent")
    card.find_element(By.CSS_SELECTOR, "form.try button[type=submit]").click()
    problem = card.find_element(By.CSS_SELECTOR, "form.try > p.error")
    page.wait(lambda d: problem.is_displayed())
    assert problem.text.startswith("labels: not valid JSON")
    assert card.find_element(By.CSS_SELECTOR, ".result").text == ""
    assert page.driver.switch_to.active_element == labels


def test_hostile_text_is_shown_as_text_and_runs_nothing(open_page: Any) -> None:
    page = open_page()
    card = page.card("hostile_tool")
    assert card.find_element(By.CSS_SELECTOR, ".description").text == HOSTILE
    assert card.find_element(By.CSS_SELECTOR, "h3 .title").text == HOSTILE
    assert page.driver.find_elements(By.CSS_SELECTOR, "img[src=x]") == []
    result = page.submit(card)
    assert result.find_element(By.CSS_SELECTOR, "pre.text").text == HOSTILE
    assert page.driver.execute_script("return window.pwned") is None


def test_prompts_resources_and_images_render_from_their_answers(open_page: Any) -> None:
    page = open_page()
    prompt = page.card("triage")
    page.field(prompt, "package").send_keys("lxml")
    assert page.submit(prompt).find_element(By.CSS_SELECTOR, "pre").text == (
        "Triage the vulnerability in lxml."
    )
    report = page.submit(page.card("reports://latest"))
    assert report.find_element(By.CSS_SELECTOR, "pre").text == "# Report\nNo findings."
    template = page.card("advisories://{advisory_id}")
    page.field(template, "advisory_id").send_keys("GHSA 1")
    advisory = page.submit(template)
    assert advisory.find_element(By.CSS_SELECTOR, ".uri code").text == "advisories://GHSA%201"
    assert advisory.find_element(By.CSS_SELECTOR, "pre").text == "Advisory GHSA 1"
    logo = page.submit(page.card("render_logo")).find_element(By.TAG_NAME, "img")
    assert page.driver.execute_script("return arguments[0].naturalWidth", logo) == 1


def test_log_messages_streamed_before_the_result_are_listed_with_it(open_page: Any) -> None:
    page = open_page()
    card = page.card("scan")
    page.field(card, "packages").send_keys('["lxml", "idna"]')
    result = page.submit(card)
    assert result.find_element(By.CSS_SELECTOR, "pre.text").text == "2 packages scanned"
    notes = result.find_element(By.CSS_SELECTOR, "details.notes")
    assert notes.find_element(By.TAG_NAME, "summary").text == "Notifications (2)"
    notes.click()
    items = notes.find_elements(By.TAG_NAME, "li")
    assert [item.text for item in items] == ["info: scanned lxml", "info: scanned idna"]


def test_filter_hides_the_items_whose_name_and_description_lack_the_words(
    open_page: Any,
) -> None:
    page = open_page()
    page.driver.find_element(By.ID, "filter").send_keys("severity rating")
    visible = [
        a for a in page.driver.find_elements(By.CSS_SELECTOR, "article.item") if a.is_displayed()
    ]
    assert [a.find_element(By.CSS_SELECTOR, "h3 code").text for a in visible] == [
        "classify_severity"
    ]


def test_every_form_control_has_a_label(open_page: Any) -> None:
    page = open_page("audit:read")
    controls = page.driver.find_elements(By.CSS_SELECTOR, "input, select, textarea")
    assert len(controls) > 10
    for control in controls:
        control_id = control.get_attribute("id")
        labels = page.driver.find_elements(By.CSS_SELECTOR, f"label[for='{control_id}']")
        assert len(labels) == 1, control_id
        assert labels[0].text


def test_screenshot_of_the_page_is_saved(
    open_page: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    page = open_page("audit:read")
    card = page.card("classify_severity")
    page.field(card, "cvss_score").send_keys("9.8")
    assert "critical" in page.submit(card).text
    page.driver.find_element(By.CSS_SELECTOR, "#tools details summary").click()
    height = page.driver.execute_script("return document.documentElement.scrollHeight")
    page.driver.set_window_size(1280, min(int(height) + 100, 6000))
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "catalog.png"
    try:
        assert page.driver.save_screenshot(str(path))
    finally:
        page.driver.set_window_size(1280, 1000)
    assert path.stat().st_size > 10_000
    with capsys.disabled():
        print(f"\ncatalogue screenshot: {path}")  # noqa: T201 - where to look at it


def _literal(text: str) -> str:
    assert "'" not in text, "names with quotes need concat() in XPath"
    return f"'{text}'"


def _call_directly(site: LiveServer, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
    headers = {"accept": "application/json", "mcp-protocol-version": "2025-11-25"}
    reply = httpx.post(site.url, json=body, headers=headers, timeout=WAIT_SECONDS)
    result: dict[str, Any] = reply.json()["result"]
    return result
