"""House rule: no file of ours over 300 lines (code, templates, tests, benchmarks). A file that
grows past it has two jobs; split it by job rather than raise the limit."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 300
CHECKED = (".py", ".html", ".js", ".css", ".sql")


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / name for name in listed if name.endswith(CHECKED) and (ROOT / name).is_file()]


def test_no_file_is_longer_than_the_limit() -> None:
    files = tracked_files()
    assert len(files) > 100, "git ls-files found too few files: is this a checkout?"
    too_long = {str(path.relative_to(ROOT)): count for path in files
                if (count := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT}
    assert not too_long, f"over {LIMIT} lines (split them by job): {too_long}"
