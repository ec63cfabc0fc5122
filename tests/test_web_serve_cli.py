"""``mops serve`` as an operator starts it: a bad port is a one-line message, and on a
cluster (``MOPS_APP_KEY`` names the app's key) it prints the trust-file entry the
workers need, and touches no trust file."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest
from mops_cli import MOPS, Mops, free_port
from waiting import wait_until

from engine.client import load_signer, new_key_file


def test_a_bad_port_is_refused_in_one_line(tmp_path: Path) -> None:
    done = Mops(tmp_path / "state")("serve", "--port", "70000")
    assert done.returncode == 1
    assert "--port 70000 is not a port number" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_with_its_own_key_it_prints_the_entry_the_workers_trust_file_needs(
    tmp_path: Path,
) -> None:
    mops = Mops(tmp_path / "state")
    key = tmp_path / "app.pem"
    new_key_file(key)
    signer = load_signer(key, "app:people")
    mops.env["MOPS_APP_KEY"] = str(key)
    serving = subprocess.Popen(
        [str(MOPS), "serve", "--port", str(free_port())],
        env=mops.env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    said: list[str] = []
    try:
        assert serving.stderr is not None
        stderr = serving.stderr

        def entry_printed() -> bool:
            said.append(stderr.readline())
            return 'valid_from = "' in said[-1]

        wait_until(entry_printed, what="the trust entry")
    finally:
        serving.terminate()
        serving.wait(timeout=120)
        mops("server", "stop", timeout=60)
    text = "".join(said)
    entry = tomllib.loads(text[text.index("[keys.") :])["keys"][signer.key_id]
    assert entry["holder"] == "app:people"
    assert entry["public"] == signer.public_b64
    assert entry["may"] == ["start", "decide", "operate"]
    assert "web_login" in entry["methods"] and "sso" in entry["methods"]
    # The cluster's trust file is its operators' to keep: the app wrote none.
    assert (
        not (tmp_path / "state" / "trust.toml").exists()
        or signer.key_id not in (tmp_path / "state" / "trust.toml").read_text()
    )
