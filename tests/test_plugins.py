"""A real action package, installed the way a company ships its own connectors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from imported import imported_by
from mops_cli import Mops

PLUGIN = Path(__file__).parent / "plugin_example"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example package installed (with pip, through its entry point) into a folder
    of its own, so the project's environment is left as it was."""
    site = tmp_path_factory.mktemp("site")
    # Built from a copy: a build leaves files behind in the folder it builds.
    source = tmp_path_factory.mktemp("src") / PLUGIN.name
    shutil.copytree(PLUGIN, source)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    yield site


def with_plugin(mops: Mops, site: Path) -> Mops:
    mops.env["PYTHONPATH"] = str(site)
    return mops


def test_installed_actions_are_listed_with_their_signature(mops: Mops, plugin_site: Path) -> None:
    listed = with_plugin(mops, plugin_site).json("actions", "crm.score_lead")
    assert listed == [
        {
            "name": "crm.score_lead",
            "description": "Score a lead from its company, country and behaviour",
            "params": [
                {
                    "name": "email",
                    "type": "text",
                    "required": True,
                    "description": "the lead's business e-mail",
                },
                {
                    "name": "company_size",
                    "type": "number",
                    "required": True,
                    "description": "employees",
                },
                {
                    "name": "country",
                    "type": "text",
                    "required": True,
                    "description": "ISO country code",
                },
                {"name": "visited_pricing", "type": "bool", "required": False, "description": ""},
            ],
            "result": [
                {"name": "score", "type": "number", "required": True, "description": ""},
                {
                    "name": "tier",
                    "type": 'one of "hot", "warm", "cold"',
                    "required": True,
                    "description": "",
                },
                {"name": "reasons", "type": "list of text", "required": True, "description": ""},
            ],
            "timeout_seconds": 60.0,
            "heartbeat_seconds": None,
        }
    ]


def test_without_the_package_the_checker_does_not_know_the_action(mops: Mops) -> None:
    done = mops("check", str(PLUGIN / "lead_routing.mops"))
    assert done.returncode == 1
    assert "error[N003]: no worker provides the action 'crm.score_lead'" in done.stderr


def test_a_process_runs_with_the_plugin_action(mops: Mops, plugin_site: Path) -> None:
    mops = with_plugin(mops, plugin_site)
    assert mops("check", str(PLUGIN / "lead_routing.mops")).returncode == 0
    done = mops(
        "run",
        str(PLUGIN / "lead_routing.mops"),
        "--json",
        "-i",
        "email=jo@acme.example",
        "-i",
        "company_size=350",
        "-i",
        "visited_pricing=yes",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["outputs"] == {"tier": "hot", "score": 100}


def test_check_reads_plugin_signatures_from_a_cache_equal_to_the_registry(
    mops: Mops, plugin_site: Path, tmp_path: Path
) -> None:
    mops = with_plugin(mops, plugin_site)
    mops.env["MOPS_CACHE_DIR"] = str(tmp_path / "cache")
    process = str(PLUGIN / "lead_routing.mops")
    assert mops("check", process).returncode == 0
    (cached,) = (tmp_path / "cache" / "actions").glob("*.json")
    # What the checker reads is what the registry exports (mops actions loads the plugin).
    assert json.loads(cached.read_text())["actions"] == mops.json("actions", "crm.score_lead")

    # From then on the plugin is not imported to check a file ...
    modules, done = imported_by("check", process, folder=tmp_path, env=mops.env)
    assert done.returncode == 0, done.stderr
    assert "mops_example_crm" not in modules
    # ... until the package is installed again: then its signatures are read anew.
    (dist_info,) = plugin_site.glob("mops_example_crm-*.dist-info")
    os.utime(dist_info, ns=(dist_info.stat().st_atime_ns, dist_info.stat().st_mtime_ns + 10**9))
    modules, done = imported_by("check", process, folder=tmp_path, env=mops.env)
    assert done.returncode == 0, done.stderr
    assert "mops_example_crm" in modules
    assert len(list((tmp_path / "cache" / "actions").glob("*.json"))) == 2


def test_no_plugin_is_remembered_until_one_is_installed(
    mops: Mops, plugin_site: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    mops = with_plugin(mops, site)
    mops.env["MOPS_CACHE_DIR"] = str(tmp_path / "cache")
    process = str(PLUGIN / "lead_routing.mops")
    assert mops("check", process).returncode == 1  # crm.score_lead: no worker provides it
    assert list((tmp_path / "cache" / "actions").glob("no-plugins-*"))
    imported_by("check", process, folder=tmp_path, env=mops.env)  # its sys.path remembered
    modules, done = imported_by("check", process, folder=tmp_path, env=mops.env)
    assert done.returncode == 1
    assert "importlib.metadata" not in modules
    # Installing a package adds its folders to the site: the plugins are looked for again.
    for installed in plugin_site.iterdir():
        shutil.copytree(installed, site / installed.name)
    done = mops("check", process)
    assert done.returncode == 0, done.stderr
