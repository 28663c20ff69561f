"""A real headless Chromium on the apps under test: waiting for what a page shows."""

from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

# What chromedriver says, instead of a stale element, when the page it read the element from
# was replaced between finding the element and reading its text.
_REPLACED_PAGE = "does not belong to the document"


def _shows(driver: webdriver.Chrome, element_id: str, expected: str) -> bool:
    try:
        return bool(driver.find_element(By.ID, element_id).text == expected)
    except WebDriverException as error:
        if _REPLACED_PAGE in str(error):
            return False
        raise


def wait_for_text(driver: webdriver.Chrome, element_id: str, expected: str) -> None:
    """Waits (10 s at most) until the page being loaded shows `expected` in the element."""
    WebDriverWait(
        driver, 10, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    ).until(lambda d: _shows(d, element_id, expected))
