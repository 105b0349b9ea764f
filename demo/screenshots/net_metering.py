"""Screenshot of the net-metering section of the demo's LoWi3 dashboard (scripts/develop).

    /opt/pw/bin/python demo/screenshots/net_metering.py [OUT]     (a Python with Playwright)

Logs in as the demo user with headless Chromium (CHROMIUM, default /usr/bin/chromium; never
downloads a browser) and writes OUT/net-metering.png (OUT: docs/screenshots). It fails when a
net-metering figure is unknown or unavailable. HA_URL sets the address (http://127.0.0.1:8123).
"""

from __future__ import annotations

import os
from pathlib import Path
import sys
import tempfile

from playwright.sync_api import sync_playwright

URL = os.environ.get("HA_URL", "http://127.0.0.1:8123")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
HEADING = "Net metering since the yearly reading"


def main() -> None:
    """Log in, open the dashboard, check the figures and photograph their section."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
            viewport={"width": 1280, "height": 1400},
            locale="en-GB",
            timezone_id="Europe/Brussels",
            color_scheme="light",
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{URL}/dashboard-lowi3/live")
        page.get_by_label("Username").fill("demo")
        page.get_by_label("Password", exact=True).fill("demo-password")
        page.keyboard.press("Enter")
        page.wait_for_url("**/dashboard-lowi3/**", timeout=30000)
        page.get_by_text(HEADING).wait_for(timeout=30000)
        page.wait_for_timeout(5000)
        section = page.locator("hui-grid-section", has_text=HEADING)
        # get_by_text looks inside the cards' shadow roots.
        for missing in ("Unknown", "Unavailable"):
            if section.get_by_text(missing).count():
                raise RuntimeError(f"a net-metering figure is {missing.lower()}")
        section.screenshot(path=str(out / "net-metering.png"))
        context.close()


if __name__ == "__main__":
    main()
