"""SQLite with several admin-style writers and many readers at once never
fails a write and never loses one (bench/concurrent_writers.py, shortened)."""

import json

import pytest

from tests.processes import project_env, run_python


@pytest.mark.backend("sqlite")
def test_concurrent_writers_on_sqlite_neither_fail_nor_lose_writes():
    result = run_python(
        [
            "bench/concurrent_writers.py",
            "--readers",
            "4",
            "--writers",
            "3",
            "--seconds",
            "3",
            "--rate",
            "10",
            "--json",
        ],
        project_env(),
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])

    assert outcome["database"] == "sqlite"
    assert outcome["errors"] == 0, outcome["first_problems"]
    assert outcome["lost_writes"] == 0, outcome["first_problems"]
    assert outcome["writes"] >= 3 * 3  # every writer got through, several times
    assert outcome["reads"] > 0
