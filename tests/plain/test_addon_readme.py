"""The addon's README.rst and Apps page are generated from readme/ and current."""

import subprocess
import sys

from tests.conftest import REPO_ROOT

DESCRIPTION = REPO_ROOT / "synco_shopify" / "static" / "description"


def test_readme_and_apps_page_are_up_to_date():
    result = subprocess.run(
        [sys.executable, "tools/gen_addon_readme.py", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_pictures_the_readme_shows_exist():
    readme = (REPO_ROOT / "synco_shopify" / "README.rst").read_text()
    for line in readme.splitlines():
        if line.startswith(".. figure:: "):
            path = line.split(":: ", 1)[1]
            assert (REPO_ROOT / "synco_shopify" / path).exists(), path
    for picture in ("icon.png", "banner.png"):
        assert (DESCRIPTION / picture).exists(), picture
