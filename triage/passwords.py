"""Staff passwords (scrypt, per-user salt; a policy for new ones) and TOTP secrets (sealed
under the office secret)."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import secrets
import string

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from config.settings import KdfParams

TOTP_STEP = 30
MIN_PASSWORD = 12
MIN_DISTINCT = 5

# The cores of the passwords people pick first (the top of the leaked-password lists, here and
# in China); a password is refused when, stripped of digits and symbols at its ends and read
# through the usual letter swaps, it is one of them.
COMMON_CORES = frozenset({
    "password", "passwd", "pass", "admin", "administrator", "root", "user", "login", "welcome",
    "letmein", "monkey", "dragon", "master", "sunshine", "princess", "football", "baseball",
    "iloveyou", "trustno", "qwerty", "qwertyuiop", "asdfgh", "asdfghjkl", "zxcvbn", "zxcvbnm",
    "qazwsx", "qweasd", "qweasdzxc", "qwe", "asd", "zxc", "abc", "abcd", "abcdef", "qq",
    "woaini", "aini", "wohenaini", "nihao", "zhongguo", "china", "beijing",
    "shanghai", "qingfeng", "jubao", "yiyuan", "huawei", "xiaomi", "baidu", "taobao", "weixin",
})
# Whole passwords that stay common in spite of their length: keyboard walks and the digits of
# 我爱你一生一世 (5201314) and its kin.
COMMON_PASSWORDS = frozenset({
    "qwertyuiop12", "qwertyuiop123", "1qaz2wsx3edc", "1qaz2wsx3edc4rfv", "1q2w3e4r5t6y",
    "1q2w3e4r5t6y7u", "q1w2e3r4t5y6", "zaq12wsxcde3", "123456789012", "1234567890123",
    "12345678901234", "123456123456", "123123123123", "111111111111", "888888888888",
    "666666666666", "520131452013", "5201314520131", "131452013145", "13145201314520",
    "520520520520", "147258369147", "147258369258", "123456789abc", "abc123456789",
    "123456qwerty", "qwerty123456", "aa1234567890", "qq1234567890", "1234567890qq",
})
LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "3": "e", "$": "s", "5": "s",
                      "7": "t", "!": "i"})
EDGE = string.digits + string.punctuation + " "
# Keys next to each other on a keyboard row count as a run, as letters in order do.
KEYBOARD_ROWS = ("1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./")


def hash_password(password: str, kdf: KdfParams) -> str:
    """'scrypt$n$r$p$salt$hash' for storing."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=kdf.n, r=kdf.r, p=kdf.p,
                            maxmem=kdf.maxmem, dklen=32)
    return f"scrypt${kdf.n}${kdf.r}${kdf.p}${salt.hex()}${digest.hex()}"


def password_problem(password: str, username: str) -> str | None:
    """Why `password` may not be set for `username` (Chinese, for the person choosing it), or
    None. Length alone lets `aaaaaaaaaaaa` and twelve spaces through; this also refuses what
    is guessed first: few distinct characters, the name, common passwords, runs and repeats."""
    if len(password) < MIN_PASSWORD:
        return f"密码至少需要 {MIN_PASSWORD} 个字符。"
    if password != password.strip():
        return "密码的开头和结尾不能是空格或其他空白字符。"
    if len(set(password)) < MIN_DISTINCT:
        return f"密码至少需要包含 {MIN_DISTINCT} 个不同的字符。"
    lowered = password.casefold()
    core = lowered.strip(EDGE).translate(LEET)
    if _names(lowered, core, username.strip().casefold()):
        return "密码不能包含用户名。"
    if lowered in COMMON_PASSWORDS or core in COMMON_CORES:
        return "这个密码太常见，很容易被猜中，请换一个。"
    if _repeats(lowered) or _runs(lowered) <= 2:
        return "密码不能是连续或重复的字符（如 abcdef、123456、abcabc、qwerty）。"
    return None


def _names(lowered: str, core: str, name: str) -> bool:
    """The user name is the password's core, or (when long enough to mean something) in it."""
    if not name:
        return False
    return core == name.translate(LEET) or (len(name) >= 4 and name in lowered)


def _repeats(password: str) -> bool:
    """True when the password is a short pattern repeated (abcabc…, a1b2a1b2…)."""
    size = len(password)
    return any(all(password[i] == password[i - period] for i in range(period, size))
               for period in range(1, size // 2 + 1))


def _next_to(a: str, b: str) -> bool:
    """a then b is a step a guesser tries: the same key, the next or previous letter or digit
    (9 to 0 too), or the neighbouring key on a keyboard row."""
    if a == b or abs(ord(a) - ord(b)) == 1 or {a, b} == {"9", "0"}:
        return True
    return any(a in row and b in row and abs(row.index(a) - row.index(b)) == 1
               for row in KEYBOARD_ROWS)


def _runs(password: str) -> int:
    """How many runs (of steps `_next_to` allows) the password is made of."""
    return 1 + sum(not _next_to(a, b) for a, b in itertools.pairwise(password))


def check_password(stored: str, password: str) -> bool:
    """Constant-time check of a password against its stored hash."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        kdf = KdfParams(int(n), int(r), int(p))
        candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=kdf.n, r=kdf.r,
                                   p=kdf.p, maxmem=kdf.maxmem, dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, bytes.fromhex(digest))


def _totp_key(secret_key: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"qingfeng/v1/totp").derive(secret_key)


def new_totp_secret() -> bytes:
    return os.urandom(20)


def seal_totp(secret: bytes, secret_key: bytes, username: str) -> bytes:
    """The TOTP secret encrypted under a key derived from the office secret key."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_totp_key(secret_key)).encrypt(nonce, secret, username.encode())


def open_totp(box: bytes, secret_key: bytes, username: str) -> bytes:
    return AESGCM(_totp_key(secret_key)).decrypt(box[:12], box[12:], username.encode())


def totp(secret: bytes) -> TOTP:
    return TOTP(secret, 6, SHA1(), TOTP_STEP, enforce_key_length=False)


def provisioning_uri(secret: bytes, username: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return totp(secret).get_provisioning_uri(username, issuer)


def totp_step_accepted(secret: bytes, code: str, now: float, last_step: int) -> int | None:
    """The time step a valid code belongs to (±1 step of clock drift), or None. A step at or
    before `last_step` is refused: a code works only once."""
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        return None
    current = int(now // TOTP_STEP)
    for step in (current, current - 1, current + 1):
        try:
            totp(secret).verify(code.encode(), step * TOTP_STEP)
        except InvalidToken:
            continue
        return step if step > last_step else None
    return None
