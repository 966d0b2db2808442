"""The butlers' page in a real browser (issue 31.6): headless Chromium (Debian's `chromium`,
driven through `chromium-driver` by Selenium) as a phone 360×740 logs in as a butler, completes
an action with a checklist problem (a repair case is opened, and said), opens a case on the
owner's page; on every page nothing reaches past the screen's right edge and every control is
at least 44 px tall, and the screenshots are the phone's width and not blank. Skipped, with
the reason, where Chromium, its driver or Selenium is missing (.ci/run installs them)."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("uvicorn", reason="the serve extra is not installed")

from serve_helpers import BUTLER_A, PASSWORD, due, make_site_database, served
from sixplustwo.web.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
WIDTH, HEIGHT = 360, 740

# What reaches past the right edge, and the controls shorter than a thumb (44 px).
_LAYOUT = """
const width = document.documentElement.clientWidth;
const wide = [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > width + 0.5)
  .map((e) => e.tagName + " " + (e.textContent || "").trim().slice(0, 30));
const small = [...document.querySelectorAll("a, button, select, textarea, input, label.choice")]
  .filter((e) => e.type !== "hidden" && e.type !== "radio" && e.offsetParent !== null)
  .filter((e) => e.getBoundingClientRect().height < 44)
  .map((e) => e.tagName + " " + (e.textContent || e.name || "").trim().slice(0, 30)
       + " " + e.getBoundingClientRect().height);
return {width: width, scroll: document.documentElement.scrollWidth, wide: wide, small: small};
"""


def _browser():
    if CHROMIUM is None or DRIVER is None:
        pytest.skip("Chromium or chromedriver is not installed (.ci/run installs them)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-sync",
                 "--hide-scrollbars", "--lang=zh-CN"):  # fmt: skip
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    options.add_experimental_option(
        "mobileEmulation", {"deviceMetrics": {"width": WIDTH, "height": HEIGHT, "pixelRatio": 2}}
    )
    try:
        return webdriver.Chrome(service=Service(DRIVER), options=options)
    except Exception as exc:  # a driver that does not match the browser, no display …
        pytest.skip(f"headless Chromium did not start: {str(exc).splitlines()[0]}")


def _go(driver, element) -> None:
    """Click a link or a form's button, and wait for the next page."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def left(_driver) -> bool:
        """The old page is gone: stale, or (Chromium, mid-navigation) a node "that does not
        belong to the document", which chromedriver reports as a plain WebDriverException."""
        try:
            return expected_conditions.staleness_of(page)(_driver)
        except WebDriverException:
            return True

    WebDriverWait(driver, 30).until(left)
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


_STYLED = """
const sheets = [...document.styleSheets];
return sheets.length > 0 && sheets.every((s) => { try { return s.cssRules.length > 0; }
                                                  catch (e) { return false; } });
"""


def _check_layout(driver, shots, name: str) -> None:
    from PIL import Image, ImageStat
    from selenium.webdriver.support.ui import WebDriverWait

    # Measured once the page's stylesheet applies (a loaded machine can lag behind "complete");
    # a stylesheet that never loads fails here.
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(_STYLED))
    fit = driver.execute_script(_LAYOUT)
    assert fit["width"] == WIDTH, fit
    assert fit["scroll"] <= WIDTH and not fit["wide"], (name, fit)
    assert not fit["small"], (name, fit["small"])
    shot = shots / f"{name}.png"
    driver.save_screenshot(str(shot))
    image = Image.open(shot).convert("L")
    assert image.size[0] == WIDTH * 2, image.size  # the phone's width: nothing wider drawn
    assert ImageStat.Stat(image).stddev[0] > 10  # text, not a blank page


def _logged_in(driver, base: str, shots) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/login")
    _check_layout(driver, shots, "login")
    driver.find_element(By.ID, "name").send_keys("lixiao")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    _go(driver, driver.find_element(By.CSS_SELECTOR, "form.stack button"))
    assert "待办" in driver.find_element(By.TAG_NAME, "h1").text
    _check_layout(driver, shots, "today")


def test_a_butler_logs_in_on_a_phone_and_reads_the_list(tmp_path):
    """The quick sibling of the next test (the default run): log in, the list at 360 px."""
    db = make_site_database(str(tmp_path / "site.db"))
    driver = _browser()
    shots = tmp_path / "shots"
    shots.mkdir()
    try:
        with served(create_app(db, secret="browser")) as base:
            _logged_in(driver, base, shots)
    finally:
        driver.quit()


@pytest.mark.slow
def test_a_butler_on_a_phone_completes_an_action_with_a_problem_and_opens_a_case(tmp_path):
    from selenium.webdriver.common.by import By

    db = make_site_database(str(tmp_path / "site.db"))
    action_id = next(
        row["action_id"]
        for row in due(db, BUTLER_A)
        if row["rule"] in ("revisit-3m", "quality-check-1y")
    )
    driver = _browser()
    shots = tmp_path / "shots"
    shots.mkdir()
    try:
        with served(create_app(db, secret="browser")) as base:
            _logged_in(driver, base, shots)
            _go(driver, driver.find_element(By.CSS_SELECTOR, f'a[href="/action/{action_id}"]'))
            _check_layout(driver, shots, "action")
            driver.find_element(By.CSS_SELECTOR, 'input[name="item1"][value="ok"]').click()
            driver.find_element(By.CSS_SELECTOR, 'input[name="item2"][value="problem"]').click()
            driver.find_element(By.ID, "problem2").send_keys("卫生间地漏返味")
            driver.find_element(By.ID, "note").send_keys("已上门")
            _go(driver, driver.find_element(By.CSS_SELECTOR, 'form[action$="/done"] button'))
            said = driver.find_element(By.TAG_NAME, "main").text
            assert "报修工单" in said, said
            _check_layout(driver, shots, "done")

            _go(driver, driver.find_element(By.CSS_SELECTOR, 'main a[href^="/owner/"]'))
            driver.find_element(By.ID, "casenote").send_keys("阳台渗水")
            _go(driver, driver.find_element(By.CSS_SELECTOR, 'form[action$="/case"] button'))
            said = driver.find_element(By.TAG_NAME, "main").text
            assert "已开立工单" in said and "阳台渗水" in said, said
            _check_layout(driver, shots, "owner")
    finally:
        driver.quit()
    assert action_id not in {row["action_id"] for row in due(db, BUTLER_A)}
