"""The README says what the code does: every `qingfeng` command it names exists and every
command exists in its table, every environment variable the code reads is in its configuration
table, every link into the repository points at a file, and the two commands are the Makefile's."""
import re
from pathlib import Path

from triage.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_documented_and_every_documented_command_exists():
    documented = set(re.findall(r"`qingfeng ([a-z]+)", README))
    assert documented == set(main.commands), (documented ^ set(main.commands))


def test_every_setting_the_code_reads_is_in_the_configuration_table():
    read = set()
    for path in [*ROOT.glob("config/*.py"), *ROOT.glob("triage/*.py"), *ROOT.glob("portal/*.py")]:
        text = path.read_text(encoding="utf-8")
        read |= {f"QINGFENG_{name}" for name in re.findall(r'env_value\("([A-Z_]+)"', text)}
        read |= set(re.findall(r'environ\.get\("(QINGFENG_[A-Z_]+)"', text))
    tuning = {"QINGFENG_RECEIPT_SCRYPT_N", "QINGFENG_RECEIPT_SCRYPT_R", "QINGFENG_RECEIPT_SCRYPT_P"}
    missing = {name for name in read - tuning if name not in README}
    assert not missing, missing


def test_links_into_the_repository_point_at_files():
    for target in re.findall(r"\]\(((?:docs|tests|config|bench|docker)/[^)#]+)", README):
        assert (ROOT / target).exists(), target


def test_the_two_commands_are_the_makefiles_targets():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test", "screenshots"):
        assert f"make {target}" in README and re.search(rf"^{target}:", makefile, re.M), target
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
