"""Encryption at rest for secret fields (account number, PIN, billing number)."""

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet

SECRET_FIELDS = ("account_number", "pin", "btn")


class FieldCipher:
    """Encrypts with the newest key and decrypts with any configured key."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise RuntimeError(
                "No encryption key is configured: run `flask --app wsgi setup` "
                "or set ASSISTANT_ENCRYPTION_KEYS."
            )
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as error:
            raise RuntimeError("A secret field could not be decrypted.") from error

    def encrypt_bytes(self, value: bytes) -> bytes:
        return self._fernet.encrypt(value)

    def decrypt_bytes(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as error:
            raise RuntimeError("A stored file could not be decrypted.") from error

    def rotate(self, token: str | bytes) -> str | bytes:
        """Re-encrypt a token under the newest key, keeping its type."""
        if isinstance(token, bytes):
            return self._fernet.rotate(token)
        return self._fernet.rotate(token.encode()).decode()


def mask(value: str | None, keep: int = 2) -> str:
    """Show only the last characters of a secret, e.g. •••••67."""
    if not value:
        return ""
    shown = value[-keep:] if keep and len(value) > keep + 2 else ""
    return "•" * max(len(value) - len(shown), 4) + shown


# A PIN is short: its last digits would give away much of it, so none are shown.
_SHOWN_OF = {"pin": 0}


def mask_field(name: str, value: str | None) -> str:
    """Mask the secret field ``name`` as every page and e-mail shows it."""
    return mask(value, keep=_SHOWN_OF.get(name, 2))
