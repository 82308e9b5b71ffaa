"""The web studio in a real headless Chromium: submit a text job, hear it in the player, again with the next seed.

Needs Debian's ``chromium`` and ``chromium-driver`` (``bash install.sh --dev`` installs them); skipped
only when they are absent. ``VMB_SCREENSHOT_DIR=DIR`` keeps the screenshot.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                                reason="chromium and chromium-driver are not installed (bash install.sh --dev)")
# what a sandbox-less container with no network needs: no GPU, no QUIC, no background traffic
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,1500")
DURATION_S = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def studio_url(tmp_path):
    import uvicorn

    from vmb.serve import ServeConfig, create_app

    port = free_port()
    app = create_app(ServeConfig(jobs_dir=tmp_path / "jobs", warm_up=False))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def browser(tmp_path, monkeypatch):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium never looks for drivers online
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_studio_makes_music_for_a_text_and_plays_it(studio_url, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 240, poll_frequency=0.2)
    browser.get(studio_url)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#genre option")) > 5)  # the vocabulary arrived
    assert browser.find_element(By.CSS_SELECTOR, "#meter option[value='6/8']")
    browser.find_element(By.ID, "text").send_keys("a cheerful folk dance in the village square")
    duration = browser.find_element(By.ID, "duration")
    duration.clear()
    duration.send_keys(str(DURATION_S))
    browser.find_element(By.CSS_SELECTOR, "#genre option[value='folk']").click()
    browser.find_element(By.ID, "submit").click()

    # the job appears in the list, then the player loads the finished music
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#job-list li"))
    audio_duration = wait.until(lambda d: d.execute_script(
        "const a = document.getElementById('audio');"
        "return !a.hidden && a.readyState >= 1 && isFinite(a.duration) ? a.duration : null;"))
    assert abs(audio_duration - DURATION_S) < 0.01
    wait.until(lambda d: d.execute_script(
        "const img = document.getElementById('pianoroll'); return img.complete && img.naturalWidth > 0;"))
    wait.until(lambda d: not d.find_element(By.ID, "waveform").get_attribute("hidden"))
    assert browser.find_element(By.ID, "sentence").text
    assert browser.find_elements(By.CSS_SELECTOR, "#reasoning li")
    assert browser.find_elements(By.CSS_SELECTOR, "#reference-rows tr")
    links = {a.get_attribute("download") for a in browser.find_elements(By.CSS_SELECTOR, "#downloads a")}
    assert {"music.wav", "music.mid", "music.json", "music.png"} <= links
    assert "folk" in browser.find_element(By.ID, "music-facts").text

    shot = tmp_path / "studio.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:4] == b"\x89PNG"
    if os.environ.get("VMB_SCREENSHOT_DIR"):
        shutil.copy(shot, os.path.join(os.environ["VMB_SCREENSHOT_DIR"], "studio.png"))

    # again with the next seed: a second job, selected, that finishes with seed 1
    browser.find_element(By.ID, "again").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#job-list li")) == 2)
    wait.until(lambda d: "seed 1" in d.find_element(By.ID, "music-facts").text)
    problems = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert problems == []
