"""`FileTokenStore`: a remembered login, encrypted in a file only its owner can read."""

import os
import stat
import tempfile
from pathlib import Path
from typing import Optional, Union

from flet_auth.security import InvalidToken, decrypt, encrypt

__all__ = ["FileTokenStore"]

# An encrypted token is a few KiB; anything much larger was not written by `save`.
MAX_FILE_SIZE = 1024 * 1024


class FileTokenStore:
    """Keeps one token (its JSON) in `path`, encrypted with `flet_auth.security.encrypt`.

    Writes are atomic (a temporary file, fsync, rename) with mode 0600, so a crash leaves the
    old token or the new one, never half of one. `load()` returns None when there is no file
    and raises `InvalidToken` when the file cannot be decrypted (it is kept, not deleted), and
    when the path is not a regular file of at most `MAX_FILE_SIZE` bytes (a symlink, a FIFO,
    a device): another local user cannot make it read elsewhere, hang or fill memory.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"], secret_key: str) -> None:
        if not secret_key:
            raise ValueError("secret_key must not be empty")
        self.path = Path(path)
        self._secret_key = secret_key

    def load(self) -> Optional[str]:
        """The saved token JSON, or None when nothing is saved."""
        raw = self._read()
        if raw is None:
            return None
        try:
            data = raw.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidToken(f"{self.path} does not hold an encrypted token") from None
        try:
            return decrypt(data.strip(), self._secret_key)
        except InvalidToken:
            raise InvalidToken(
                f"{self.path} cannot be decrypted with this secret key (wrong key or damaged)"
            ) from None

    def _read(self) -> Optional[bytes]:
        # O_NOFOLLOW refuses a symlink, O_NONBLOCK keeps a FIFO from blocking the open, and
        # fstat checks the file that was opened, not whatever the path names a moment later.
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags)
        except FileNotFoundError:
            return None
        except OSError as e:
            if self.path.is_symlink():
                raise InvalidToken(f"{self.path} is not a regular file (a symlink)") from None
            raise InvalidToken(f"{self.path} cannot be opened: {e.strerror}") from None
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise InvalidToken(f"{self.path} is not a regular file")
            if info.st_size > MAX_FILE_SIZE:
                raise InvalidToken(f"{self.path} is too large to hold a token")
            data = f.read(MAX_FILE_SIZE + 1)
        if len(data) > MAX_FILE_SIZE:
            raise InvalidToken(f"{self.path} is too large to hold a token")
        return data

    def save(self, token_json: str) -> None:
        """Encrypts and writes the token JSON, replacing what was saved."""
        data = encrypt(token_json, self._secret_key).encode("ascii")
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._sync_folder(folder)

    def clear(self) -> None:
        """Forgets the saved token."""
        self.path.unlink(missing_ok=True)
        self._sync_folder(self.path.parent)

    @staticmethod
    def _sync_folder(folder: Path) -> None:
        # The rename is durable only once the folder's entry is on disk.
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"
