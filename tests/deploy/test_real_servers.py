"""The real-server fixtures themselves (real_servers.py): a missing server
binary fails the test that needs it, loudly, unless skipping was asked for
with SSG_TEST_NO_REAL_SERVERS (never set by .ci/run)."""

from __future__ import annotations

import pytest
from real_servers import SKIP_ENV, find_binary


def test_a_missing_server_binary_fails_unless_skipping_is_asked(monkeypatch):
    monkeypatch.delenv(SKIP_ENV, raising=False)
    with pytest.raises(pytest.fail.Exception) as failed:
        find_binary("ssg-no-such-ftpd")
    assert "ssg-no-such-ftpd is not installed" in str(failed.value) and SKIP_ENV in str(failed.value)
    monkeypatch.setenv(SKIP_ENV, "1")
    with pytest.raises(pytest.skip.Exception):
        find_binary("ssg-no-such-ftpd")
