"""The systemd units of deploy/ are hardened: `systemd-analyze security` rates them 4 or better."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (Debian's systemd)")
@pytest.mark.parametrize("unit", ["monitor-web.service", "monitor-scheduler.service"])
def test_units_are_rated_ok_by_systemd_analyze_security(unit, tmp_path):
    copy = tmp_path / unit  # --offline reads the unit file as it is, no systemd needed
    copy.write_text((DEPLOY / unit).read_text())
    result = subprocess.run(["systemd-analyze", "security", "--offline=true", str(copy)],
                            capture_output=True, text=True)
    exposure = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout).group(1))
    assert exposure <= 4.0, result.stdout
    text = copy.read_text()
    assert "ReadWritePaths=/srv/monitor" in text and "CapabilityBoundingSet=\n" in text
