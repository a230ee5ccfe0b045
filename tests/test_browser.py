"""The series as a user meets it: JupyterLab in a real (headless) Chromium.

Starts `jupyter lab` from this environment on 127.0.0.1 with a token, opens a
notebook, runs all its cells in quick mode from the Run menu, drags a slider
handle with the mouse and checks that the picture the kernel sends back
changes. Screenshots go to artifacts/browser/.

Needs Debian's chromium (`apt-get install chromium`) and the Python package
playwright (installed with the test extras); no browser is downloaded. Without
Chromium the test is skipped with that hint, except in CI (CI=true), where it
must run.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"]


def _need_browser():
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append("Chromium (Debian/Ubuntu: sudo apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[test]')")
    if missing:
        message = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — CI must run it")
        pytest.skip(message)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab():
    """A JupyterLab server on a free loopback port; yields its base URL and token."""
    _need_browser()
    port, token = _free_port(), "ganlab-test-token"
    env = dict(os.environ, GANLAB_QUICK="1",
               GANLAB_CHECKPOINTS=tempfile.mkdtemp(prefix="ganlab-browser-ckpt-"),
               JUPYTER_CONFIG_DIR=tempfile.mkdtemp(prefix="ganlab-jupyter-config-"))
    log = open(tempfile.mktemp(prefix="ganlab-lab-", suffix=".log"), "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", "--allow-root", f"--ServerApp.root_dir={ROOT}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"jupyter lab did not start; see {log.name}")
    yield f"http://127.0.0.1:{port}", token
    server.terminate()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS + [
            f"--user-data-dir={tempfile.mkdtemp(prefix='ganlab-chromium-')}"])
        yield b
        b.close()


def _open_and_run_all(browser, lab, notebook, timeout_s=300):
    """Open a notebook in JupyterLab, run all cells from the Run menu, wait until idle."""
    url, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(f"{url}/lab/tree/notebooks/{notebook}?token={token}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(timeout=90_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # the last code cell gets an execution count when everything above it has run
    last = page.locator(".jp-Notebook .jp-CodeCell").last.locator(".jp-InputPrompt")
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").filter(
                has_text="Traceback").count():
            break
        if "[*]" not in last.inner_text() and last.inner_text().strip() not in ("[ ]:", ""):
            break
        time.sleep(1)
    errors = page.locator(".jp-OutputArea-output").filter(has_text="Traceback (most recent call last)")
    if errors.count():
        page.screenshot(path=str(ARTIFACTS / f"{notebook}-error.png"), full_page=True)
        pytest.fail(f"{notebook} raised in the browser: {errors.first.inner_text()[:2000]}")
    assert "[*]" not in last.inner_text(), f"{notebook} did not finish in {timeout_s} s"
    return page


def _drag_handle(page, handle, dx):
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y, steps=5)
    page.mouse.move(x + dx, y, steps=5)
    page.mouse.up()


def _wait_for_change(locator, before, timeout_s=30):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if locator.screenshot() != before:
            return True
        time.sleep(0.5)
    return False


def test_latent_slider_drag_redraws_the_digit(browser, lab):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = _open_and_run_all(browser, lab, "03_mlp_gan_mnist.ipynb", timeout_s=420)
    sliders = page.locator(".widget-hbox").filter(has=page.locator("img")).filter(
        has=page.locator(".widget-button", has_text="new random z")).last
    sliders.scroll_into_view_if_needed()
    image = sliders.locator("img").first
    before = image.screenshot()
    page.screenshot(path=str(ARTIFACTS / "03-before-drag.png"))
    _drag_handle(page, sliders.locator(".noUi-handle").first, dx=-80)
    assert _wait_for_change(image, before), "dragging a latent slider did not change the digit"
    page.screenshot(path=str(ARTIFACTS / "03-after-drag.png"))
    page.close()


def test_live_view_step_button_redraws(browser, lab):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = _open_and_run_all(browser, lab, "02_transforming_noise_2d.ipynb", timeout_s=300)
    view = page.locator(".widget-vbox").filter(has=page.locator(".widget-play")).last
    view.scroll_into_view_if_needed()
    image = view.locator("img").last
    before = image.screenshot()
    view.locator(".widget-button", has_text="step both").click()
    assert _wait_for_change(image, before), "the live view did not redraw after 'step both'"
    page.screenshot(path=str(ARTIFACTS / "02-live-view.png"))
    page.close()
