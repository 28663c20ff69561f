"""A real headless Chromium on the apps under test: waiting for what a page shows."""

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait


def wait_for_text(driver: webdriver.Chrome, element_id: str, expected: str) -> None:
    """Waits (10 s at most) until the page being loaded shows `expected` in the element."""
    WebDriverWait(
        driver, 10, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    ).until(lambda d: d.find_element(By.ID, element_id).text == expected)
