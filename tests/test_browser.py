"""The series as a user meets it: JupyterLab in a real (headless) Chromium.

Starts `jupyter lab` from this environment on 127.0.0.1 with a token, opens a
notebook, runs all its cells from the Run menu in the notebooks' default mode
(reference: the shipped models, as a reader first meets them), drags a slider
handle on the reference model with the mouse and checks that the picture the
kernel sends back changes. Screenshots go to artifacts/browser/.

test_draw_a_target_and_train draws with the mouse: on a scratch notebook made of notebook
02's setup and drawing cells and notebook 06's live-view cell (run in quick mode, so it
takes seconds), it clears the drawing pad, draws a ring, checks how many points the kernel
received, erases a bit of it, starts training with the play button and reads the kernel's
share of generated samples on the drawing before and after; then it switches a remedy on
in 06's view and checks that the kernel restarted that GAN with it.
"""
import math
import os
import re
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
# headless mode and a fresh, empty user-data dir come from Playwright's launch() itself
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"]


DRAWING_NOTEBOOK = "_w32_draw_and_remedies.ipynb"


def _write_drawing_notebook(path):
    """02's setup cells (MODE = "quick") and drawing view, then 06's live view with remedy toggles."""
    import nbformat

    def cells(name, ids):
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", 4)
        by_id = {c.id: c for c in nb.cells}
        return [by_id[i] for i in ids]

    setup = cells("02_transforming_noise_2d", ["c01", "c02", "w32-draw"])
    setup[1] = nbformat.v4.new_code_cell(setup[1].source.replace('MODE = "reference"', 'MODE = "quick"'))
    nb = nbformat.v4.new_notebook(cells=setup + cells("06_mode_collapse", ["w32-live"]))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


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
    # no GANLAB_QUICK / GANLAB_MODE: the notebooks run as a reader first meets them, in their
    # default reference mode, showing the series' shipped models
    env = {k: v for k, v in os.environ.items() if k not in ("GANLAB_QUICK", "GANLAB_MODE")}
    env.update(GANLAB_CHECKPOINTS=tempfile.mkdtemp(prefix="ganlab-browser-ckpt-"),
               JUPYTER_CONFIG_DIR=tempfile.mkdtemp(prefix="ganlab-jupyter-config-"))
    # render every cell (JupyterLab 4 only renders cells near the viewport by default)
    settings = Path(tempfile.mkdtemp(prefix="ganlab-lab-settings-"))
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    docmanager = settings / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True)
    (docmanager / "plugin.jupyterlab-settings").write_text('{"autosave": false}')
    # serve copies: a run in the browser must never write outputs into the committed notebooks
    served = Path(tempfile.mkdtemp(prefix="ganlab-served-"))
    shutil.copytree(ROOT / "notebooks", served / "notebooks")
    _write_drawing_notebook(served / "notebooks" / DRAWING_NOTEBOOK)
    log = open(tempfile.mktemp(prefix="ganlab-lab-", suffix=".log"), "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", "--allow-root", f"--ServerApp.root_dir={served}",
         f"--LabApp.user_settings_dir={settings}", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
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
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def _accept_kernel_dialog(page):
    """A fresh JupyterLab profile may ask which kernel to start: take the default (Python 3)."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count() and dialog.get_by_role("button", name="Select", exact=True).count():
        dialog.get_by_role("button", name="Select", exact=True).click()


def _open_and_run_all(browser, lab, notebook, timeout_s=300):
    """Open a notebook in JupyterLab, run all cells from the Run menu, wait until idle."""
    url, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    # a workspace of its own for each notebook: the server's default workspace would reopen the tabs of
    # earlier tests, hidden, and their cells would match this page's locators
    page.goto(f"{url}/lab/workspaces/{notebook.split('.')[0]}/tree/notebooks/{notebook}?token={token}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    time.sleep(3)
    _accept_kernel_dialog(page)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # finished when no cell is queued or running ("[*]") and the last cell has its count
    prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt")
    deadline = time.time() + timeout_s
    time.sleep(2)
    while time.time() < deadline:
        _accept_kernel_dialog(page)
        texts = prompts.all_inner_texts()
        if page.locator(".jp-OutputArea-output").filter(has_text="Traceback (most recent call last)").count():
            break
        if texts and not any("*" in t for t in texts) and re.search(r"\[\d+\]", texts[-1]):
            break
        time.sleep(1)
    page.screenshot(path=str(ARTIFACTS / f"{notebook}-after-run-all.png"))
    errors = page.locator(".jp-OutputArea-output").filter(has_text="Traceback (most recent call last)")
    if errors.count():
        page.screenshot(path=str(ARTIFACTS / f"{notebook}-error.png"), full_page=True)
        pytest.fail(f"{notebook} raised in the browser: {errors.first.inner_text()[:2000]}")
    if any("*" in t for t in prompts.all_inner_texts()):
        page.screenshot(path=str(ARTIFACTS / f"{notebook}-timeout.png"), full_page=True)
        pytest.fail(f"{notebook} did not finish in {timeout_s} s")
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


def _open_on_its_reference_model(browser, lab, notebook, timeout_s):
    """Run a notebook in its default mode and check that it shows the shipped model, not one trained here."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = _open_and_run_all(browser, lab, notebook, timeout_s=timeout_s)
    shown = page.locator(".jp-OutputArea-output").filter(has_text="showing the reference model shipped with ganlab")
    assert shown.count() == 1, f"{notebook} should show the shipped reference model in its default mode"
    return page


def test_latent_slider_drag_redraws_the_digit(browser, lab):
    page = _open_on_its_reference_model(browser, lab, "03_mlp_gan_mnist.ipynb", timeout_s=420)
    sliders = page.locator(".widget-hbox").filter(has=page.locator("img")).filter(
        has=page.locator(".widget-button", has_text="new random z")).last
    sliders.scroll_into_view_if_needed()
    image = sliders.locator("img").first
    before = image.screenshot()
    page.screenshot(path=str(ARTIFACTS / "03-before-drag.png"))
    _drag_handle(page, sliders.locator(".noUi-handle").first, dx=-80)
    assert _wait_for_change(image, before), "dragging a latent slider did not change the digit"
    page.screenshot(path=str(ARTIFACTS / "03-after-drag.png"))
    # section 7's spot-the-fake game: a click is answered by the kernel with a score
    game = page.locator(".widget-vbox").filter(has=page.locator(".widget-button", has_text="left is fake")).last
    game.scroll_into_view_if_needed()
    game.locator(".widget-button", has_text="left is fake").click()
    status, deadline = game.locator(".widget-html"), time.time() + 30
    while "of 1" not in status.inner_text() and time.time() < deadline:
        time.sleep(0.5)
    page.screenshot(path=str(ARTIFACTS / "03-spot-the-fake.png"))
    assert "of 1" in status.inner_text(), f"clicking 'left is fake' kept no score: {status.inner_text()!r}"
    page.close()


def test_live_view_step_button_redraws(browser, lab):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = _open_and_run_all(browser, lab, "02_transforming_noise_2d.ipynb", timeout_s=300)
    # section 5's live view on ring8: the outermost box with a play button and a canvas, before the drawing view
    view = page.locator(".widget-vbox").filter(has=page.locator(".widget-play")).filter(
        has=page.locator("canvas.ganlab-main")).first
    view.scroll_into_view_if_needed()
    assert not view.locator(".widget-button", has_text="clear").count(), "found the drawing view, not section 5's"
    canvas = view.locator("canvas.ganlab-main")
    step, before = _kernel_step(view), canvas.screenshot()
    assert step > 0, f"section 5's view should show a GAN trained by its cell, not step {step}"
    view.locator(".widget-button", has_text="step both").click()
    assert _wait_until(lambda: _kernel_step(view) == step + 1, 30), "'step both' did not train the live view"
    assert _wait_for_change(canvas, before), "the live view's canvas did not redraw after 'step both'"
    page.screenshot(path=str(ARTIFACTS / "02-live-view.png"))
    page.close()


def test_conditional_gan_digit_button_and_style_slider_redraw(browser, lab):
    page = _open_on_its_reference_model(browser, lab, "07_conditional_gan.ipynb", timeout_s=300)
    steer = page.locator(".widget-vbox").filter(has=page.locator(".widget-toggle-buttons")).filter(
        has=page.locator(".widget-button", has_text="new random style")).last
    steer.scroll_into_view_if_needed()
    image, row = steer.locator("img").first, steer.locator("img").last
    before, row_before = image.screenshot(), row.screenshot()
    steer.locator(".widget-toggle-button", has_text="4").click()
    assert _wait_for_change(image, before), "clicking digit 4 did not redraw the digit"
    page.screenshot(path=str(ARTIFACTS / "07-after-digit-4.png"))
    before = image.screenshot()
    _drag_handle(page, steer.locator(".noUi-handle").first, dx=-80)
    assert _wait_for_change(image, before), "dragging a style slider did not change the digit"
    assert _wait_for_change(row, row_before), "dragging a style slider did not change the row of ten digits"
    page.screenshot(path=str(ARTIFACTS / "07-after-drag.png"))
    page.close()


def _on_target(view):
    """The share of generated samples on the target, as the kernel last reported it (0 to 1)."""
    return float(view.locator(".ganlab-on-target").inner_text().rstrip("%")) / 100


def _kernel_step(view):
    text = view.locator(".widget-html").first.inner_text()
    return int(re.search(r"step (\d+)", text).group(1))


def _wait_until(check, timeout_s=60):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


def test_draw_a_target_and_train(browser, lab):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = _open_and_run_all(browser, lab, DRAWING_NOTEBOOK, timeout_s=180)
    views = page.locator(".widget-vbox").filter(has=page.locator(".widget-play")).filter(
        has=page.locator("canvas.ganlab-main"))
    drawn = views.filter(has=page.locator(".widget-button", has_text="clear")).first
    drawn.scroll_into_view_if_needed()
    canvas = drawn.locator("canvas.ganlab-main")
    drawn.locator(".widget-button", has_text="clear").click()
    assert _wait_until(lambda: "drawing is empty" in drawn.inner_text(), 20), "'clear' did not empty the drawing"
    # a ring of radius 0.35 of the canvas around its centre, drawn as one stroke
    box = canvas.bounding_box()
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, 0.35 * box["width"]
    ring = [(cx + r * math.cos(2 * math.pi * k / 60), cy + r * math.sin(2 * math.pi * k / 60)) for k in range(61)]
    page.mouse.move(*ring[0])
    page.mouse.down()
    for x, y in ring[1:]:
        page.mouse.move(x, y, steps=2)
    page.mouse.up()
    assert _wait_until(lambda: "drawing is empty" not in drawn.inner_text(), 20), "the drawing did not reach the kernel"
    # the stroke was laid as points about 5 px apart: about the ring's length / 5 of them
    n_drawn = int(drawn.locator(".ganlab-drawn").inner_text())
    assert 0.7 < n_drawn / (2 * math.pi * r / 5) < 1.3, f"{n_drawn} points for a ring {2 * math.pi * r:.0f} px long"
    # the eraser rubs out the points under it: a short pass across the ring's right side
    drawn.locator(".widget-toggle-button", has_text="erase").click()
    page.mouse.move(cx + r - 15, cy - 10)
    page.mouse.down()
    page.mouse.move(cx + r + 15, cy + 10, steps=6)
    page.mouse.up()
    assert _wait_until(lambda: 0 < int(drawn.locator(".ganlab-drawn").inner_text()) < n_drawn, 20), \
        "erasing across the ring removed no point"
    drawn.locator(".widget-toggle-button", has_text="add").click()
    page.screenshot(path=str(ARTIFACTS / "draw-after-drawing.png"))
    drawn.locator(".widget-button", has_text="reset").click()                 # a fresh G: a blob at the centre
    assert _wait_until(lambda: _kernel_step(drawn) == 0, 20)
    start = _on_target(drawn)
    drawn.locator(".widget-play button").first.click()                        # play
    assert _wait_until(lambda: _kernel_step(drawn) >= 600, 90), "playing did not train"
    drawn.locator(".widget-play button").nth(1).click()                       # pause
    time.sleep(1)
    end = _on_target(drawn)
    canvas.screenshot(path=str(ARTIFACTS / "draw-after-training.png"))
    assert start < 0.1 and end > start + 0.25, (
        f"G's samples did not move onto the drawn ring: {start:.0%} on it at step 0, {end:.0%} after training")
    # 06's view: switching a remedy on starts that GAN again, with the remedy, in the kernel
    remedy = views.filter(has=page.locator(".widget-toggle-button", has_text="packing")).first
    remedy.scroll_into_view_if_needed()
    remedy.locator(".widget-toggle-button", has_text="packing").click()
    assert _wait_until(lambda: "remedies: packing" in remedy.inner_text() and _kernel_step(remedy) == 0, 30), \
        f"switching packing on did not restart 06's GAN with it: {remedy.locator('.widget-html').first.inner_text()!r}"
    remedy.locator(".widget-button", has_text="step both").click()
    assert _wait_until(lambda: _kernel_step(remedy) == 1, 30), "'step both' did not train 06's packed GAN"
    page.screenshot(path=str(ARTIFACTS / "06-remedy-packing.png"))
    page.close()
