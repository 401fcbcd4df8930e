"""JupyterLab in a real browser, for the tests that check what a person sees: a JupyterLab server
started on the kit, and headless Chromium (the system's, driven by playwright) opening notebooks in it.

Nothing is downloaded: playwright drives the Chromium the system has (Debian/Ubuntu: ``apt install
chromium``); when there is none, or playwright is not installed, :func:`browser_path` says why and
the tests skip with that message.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _scripts import ROOT

#: Where the screenshots go: CI keeps this folder as the run's artefacts.
SCREENSHOTS = ROOT / "build" / "screenshots"
# Chromium's own connections (updates, sync, metrics) are refused on a closed network, many at a time.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
# JupyterLab settings for a reproducible page: no news pop-up (it goes away only when its plugin is
# off) and every cell kept in the page (the default windowing leaves cells out of view unrendered).
PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
# Autosave off: the tests run the committed notebooks and must not write their outputs back.
SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
            "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False}}


def browser_path() -> tuple[str | None, str]:
    """The Chromium to drive and an empty reason, or None and why the browser tests cannot run."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return None, "playwright is not installed (python kit.py test installs it)"
    for candidate in (os.environ.get("CRMLAB_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        path = candidate and shutil.which(candidate)
        if path:
            return path, ""
    return None, ("no Chromium on this machine: the browser tests (widgets as a person sees them) need one. "
                  "On Debian or Ubuntu: sudo apt install chromium fonts-noto-cjk; elsewhere set CRMLAB_CHROMIUM "
                  "to a Chromium or Chrome executable")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on the repository, in a temporary configuration of its own."""

    def __init__(self):
        self.home = Path(tempfile.mkdtemp(prefix="crmlab-lab-"))
        config, settings = self.home / "config", self.home / "settings"
        (config / "labconfig").mkdir(parents=True)
        (config / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
        for name, values in SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(values))
        self.port, self.token = _free_port(), os.urandom(12).hex()
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"), JUPYTER_RUNTIME_DIR=str(self.home / "rt"), JUPYTER_DATA_DIR=str(self.home / "data"))
        self.log = open(self.home / "server.log", "w")
        # expose_app_in_browser: the tests run JupyterLab's commands (run all cells) instead of clicking menus.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={ROOT}",
             "--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly", "--allow-root"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait()

    def _wait(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab stopped at start:\n{self.server_log()}")
            try:
                urllib.request.urlopen(self.url("api/status"), timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.server_log()}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def server_log(self) -> str:
        self.log.flush()
        return (self.home / "server.log").read_text(errors="replace")[-3000:]

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)
