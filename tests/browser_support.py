"""A real headless Chromium for the browser tests, from the distribution's packages.

`scripts/browser` (run by `scripts/test`) installs `chromium` and `chromium-driver`. Without
them the browser tests skip with the reason, except under `CI=true`, where that is a failure.
The driver is given explicitly, so Selenium never tries to download one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMEDRIVER: Final = "/usr/bin/chromedriver"


def browser_missing() -> str | None:
    """Why Chromium cannot run here, or `None` when it can."""
    if shutil.which("chromium") is None:
        return "chromium is not installed (scripts/browser installs it)"
    if not Path(CHROMEDRIVER).is_file():
        return f"{CHROMEDRIVER} is missing (package chromium-driver)"
    return None


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    """A headless Chromium keeping its console log, quit on exit; skipped or failed if missing."""
    missing = browser_missing()
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests need Chromium under CI: {missing}")
        pytest.skip(missing)
    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
