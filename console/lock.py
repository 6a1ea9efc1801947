"""One remediation at a time per host, across consoles: an flock'd file that says who holds it.

The kernel drops the lock when its holder dies, so a crashed console never blocks the next.

The lock file is a target for local users, so (docs/security.md):
- by default it lives in a directory the operators' group owns (`/run/launch-console`, see
  `default_path`), never in world-writable /tmp;
- it is opened with O_NOFOLLOW and O_CLOEXEC, must be a regular file with one link (a planted
  symlink or hard link to another file is refused, its target untouched), and its directory must
  not be a symlink nor world-writable (unless sticky, and then the file must be ours or root's);
- it is written (truncated, then the holder) only once we hold it; created 0660 so that the
  operators' group can take it too;
- who holds it is what the kernel says (/proc/locks: the pid, and its user), beside what the
  file claims; a lock that cannot be opened or read is a refusal that names the path, never a
  crash (`holder()` does not raise).

The file holds a JSON record: who holds it and since when, and whatever the holder adds (a run's
id, steps and generation: console.actions.runs). The record outlives its holder (`release` may
leave a final one), so that the next console learns how the last run ended and whether another
run happened since it previewed a plan; whether the lock is *held* is only ever the kernel's word.
Lookers-on probe with a shared flock, so that consoles watching a run never block each other, and
`acquire` retries for a moment, so that it is never refused because a looker was probing.

Only the standard library: a second user's test runs this module with the system Python.

Hand-written on fcntl.flock rather than a library (filelock, portalocker): those add little
over these lines and none lets a refused caller read who holds the lock and since when.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import stat
import time
from dataclasses import dataclass, field

SHARED_DIR = "/run/launch-console"
LOCK_NAME = "actions.lock"
MODE = 0o660
MAX_HOLDER_BYTES = 65536
ACQUIRE_RETRY = 0.25  # seconds: a looker's shared probe lasts microseconds


@dataclass(frozen=True, slots=True)
class Holder:
    operator: str
    action: str
    since: float
    pid: int
    # What the kernel says holds the lock (from /proc/locks), when it could be found.
    kernel_pid: int | None = None
    kernel_user: str | None = None
    # Set when the lock cannot be used at all: the sentence to show, naming the path.
    problem: str = ""
    # Everything the file says (the holder's own fields included); empty when unreadable.
    record: dict = field(default_factory=dict, compare=False)

    def describe(self, now: float | None = None) -> str:
        if self.problem:
            return self.problem
        age = int((now or time.time()) - self.since) if self.since else None
        who = f"{self.operator} is running {self.action}"
        if age is not None:
            who += f" for {age}s"
        if self.kernel_pid is not None:
            user = f" of user {self.kernel_user}" if self.kernel_user else ""
            who += f" (pid {self.kernel_pid}{user})"
            if self.pid and self.pid != self.kernel_pid:
                who += f"; the lock file claims pid {self.pid}"
        elif self.pid:
            who += f" (pid {self.pid})"
        return who


class LockError(Exception):
    """No action may start: the lock is held, or cannot be used (the message says which)."""


class ActionBusy(LockError):
    def __init__(self, holder: Holder | None) -> None:
        self.holder = holder
        super().__init__(holder.describe() if holder else "another action is running")


class LockUnusable(LockError):
    """The lock file or its directory is unsafe or out of reach; the message names the path."""


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def default_path() -> str:
    """Where the lock lives when the config does not say (nothing is created here).

    `/run/launch-console/actions.lock` when that directory exists — an administrator makes it
    the operators' group's (`install -d -m 2770 -g OPS /run/launch-console`) and every
    operator's console shares one lock — or when we are root (the first action makes it, 0755:
    other users then see the lock and are refused, with the path, until it is given to their
    group). Otherwise the user's own runtime directory (`$XDG_RUNTIME_DIR/launch-console`, else
    the XDG state directory): then the lock keeps this user's consoles apart, not other users'
    (docs/security.md).
    """
    if os.path.isdir(SHARED_DIR) or os.geteuid() == 0:
        return os.path.join(SHARED_DIR, LOCK_NAME)
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        return os.path.join(runtime, "launch-console", LOCK_NAME)
    import platformdirs  # here: a second user's test runs this module with the system Python

    state = platformdirs.user_state_dir("launch-console", appauthor=False)
    return os.path.join(state, LOCK_NAME)


def check_directory(directory: str) -> os.stat_result:
    """The lock's directory must be a real directory that strangers cannot write to (or a
    sticky one, owned by root or us, like /tmp). Raises LockUnusable naming it."""
    try:
        st = os.lstat(directory)
    except OSError as exc:
        raise LockUnusable(f"cannot use the lock directory {directory}: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise LockUnusable(f"the lock directory {directory} is a symlink; refusing")
    if not stat.S_ISDIR(st.st_mode):
        raise LockUnusable(f"the lock directory {directory} is not a directory")
    if st.st_mode & stat.S_IWOTH:
        if not st.st_mode & stat.S_ISVTX:
            raise LockUnusable(
                f"the lock directory {directory} is world-writable without the sticky bit: "
                "anyone could replace the lock; refusing"
            )
        if st.st_uid not in (0, os.geteuid()):
            raise LockUnusable(
                f"the lock directory {directory} is world-writable and owned by "
                f"{_user(st.st_uid)}; refusing"
            )
    return st


def _kernel_holder(st: os.stat_result) -> tuple[int, str] | None:
    """(pid, user) of the process holding an flock on the file with this device and inode."""
    want = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        with open("/proc/locks", encoding="ascii") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters are marked "->".
        if "->" in fields or len(fields) < 6 or fields[1] != "FLOCK":
            continue
        if fields[3] != "WRITE":
            continue  # a looker's shared probe, not a holder
        if fields[5].lower() == want.lower() and fields[4].isdigit():
            pid = int(fields[4])
            try:
                uid = os.stat(f"/proc/{pid}").st_uid
            except OSError:
                return pid, ""
            return pid, _user(uid)
    return None


class ActionLock:
    def __init__(self, path: str = "") -> None:
        self._configured = path
        self._path: str | None = os.path.abspath(path) if path else None
        self._fd: int | None = None

    @property
    def path(self) -> str:
        """The lock file: the configured one, else `default_path()` (worked out on first use,
        so that a console that never acts never looks)."""
        if self._path is None:
            self._path = os.path.abspath(default_path())
        return self._path

    # --- opening, safely ----------------------------------------------------------------------

    def _open(self, create: bool) -> tuple[int, os.stat_result] | None:
        """An fd on the lock file, checked; None if it does not exist and `create` is false.
        Raises LockUnusable (naming the path) for anything unsafe or out of reach."""
        directory = os.path.dirname(self.path)
        if not create and not os.path.lexists(directory):
            return None  # no directory yet: nobody has ever held the lock
        dir_st = check_directory(directory)
        flags = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        fd = None
        created = False
        try:
            try:
                fd = os.open(self.path, flags)
            except FileNotFoundError:
                if not create:
                    return None
                try:
                    fd = os.open(self.path, flags | os.O_CREAT | os.O_EXCL, MODE)
                    created = True
                except FileExistsError:  # another console made it just now
                    fd = os.open(self.path, flags)
        except OSError as exc:
            if fd is not None:
                os.close(fd)
            if exc.errno == getattr(os, "ELOOP", 40):
                reason = "it is a symlink (someone planted it?); refusing, its target untouched"
            elif isinstance(exc, PermissionError):
                reason = (
                    "permission denied — another user's lock: to share one lock between "
                    "operators, give its directory to their group (docs/security.md)"
                )
            else:
                reason = exc.strerror or str(exc)
            raise LockUnusable(f"cannot use the action lock {self.path}: {reason}") from None
        try:
            st = os.fstat(fd)
            if created:
                os.fchmod(fd, MODE)  # the umask would have taken the group's write bit
                st = os.fstat(fd)
            self._check_file(st, dir_st)
        except BaseException:
            os.close(fd)
            raise
        return fd, st

    def _check_file(self, st: os.stat_result, dir_st: os.stat_result) -> None:
        if not stat.S_ISREG(st.st_mode):
            raise LockUnusable(f"the action lock {self.path} is not a regular file; refusing")
        if st.st_nlink != 1:
            raise LockUnusable(
                f"the action lock {self.path} has {st.st_nlink} links (a hard link to another "
                "file?); refusing, the file untouched"
            )
        if dir_st.st_mode & stat.S_IWOTH and st.st_uid not in (0, os.geteuid()):
            raise LockUnusable(
                f"the action lock {self.path} belongs to {_user(st.st_uid)} in a world-writable "
                "directory: anyone could hold it; refusing"
            )

    # --- who holds it -------------------------------------------------------------------------

    @staticmethod
    def _record(fd: int) -> dict:
        """What the file says, or {} (empty, garbage, or being rewritten just now: a rewrite is
        a few microseconds, so a record that does not parse is read again a few times)."""
        for attempt in range(4):
            try:
                raw = os.pread(fd, MAX_HOLDER_BYTES, 0)
                data = json.loads(raw) if raw.strip() else {}
                return data if isinstance(data, dict) else {}
            except OSError:
                return {}
            except ValueError:
                if attempt < 3:
                    time.sleep(0.005)
        return {}

    def _read(self, fd: int, st: os.stat_result) -> Holder:
        kernel = _kernel_holder(st)
        kpid, kuser = kernel if kernel else (None, None)
        data = self._record(fd)
        try:
            return Holder(
                str(data["operator"]),
                str(data["action"]),
                float(data["since"]),
                int(data["pid"]),
                kpid,
                kuser,
                record=data,
            )
        except (ValueError, KeyError, TypeError):
            # Being written just now, or not ours to trust: the kernel's word is what we have.
            return Holder("someone", "an action", 0.0, 0, kpid, kuser, record=data)

    def holder(self) -> Holder | None:
        """Who holds the lock now, or None if nobody does. Never raises: a lock that cannot be
        used comes back as a Holder whose `problem` says why, naming the path."""
        return self.peek()[0]

    def peek(self) -> tuple[Holder | None, dict]:
        """(who holds the lock, or None; the record in the file, held or not). Never raises.
        When we hold it ourselves, the holder is us."""
        if self._fd is not None:
            fd = self._fd
            holder = self._read(fd, os.fstat(fd))
            return holder, holder.record
        try:
            opened = self._open(create=False)
        except LockUnusable as exc:
            return Holder("", "", 0.0, 0, problem=str(exc)), {}
        except OSError as exc:  # anything else the file system says
            problem = f"action lock {self.path}: {exc.strerror}"
            return Holder("", "", 0.0, 0, problem=problem), {}
        if opened is None:
            return None, {}
        fd, st = opened
        try:
            try:
                # Shared: two lookers never block each other (nor, for long, a holder-to-be).
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self._read(fd, st)
                return holder, holder.record
            except OSError as exc:
                problem = f"action lock {self.path}: {exc.strerror}"
                return Holder("", "", 0.0, 0, problem=problem), {}
            record = self._record(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None, record
        finally:
            os.close(fd)

    def record(self) -> dict:
        """The record in the file (the last holder's, when nobody holds it); {} if none."""
        return self.peek()[1]

    # --- taking and giving back ---------------------------------------------------------------

    def acquire(
        self, operator: str, action: str, extra: dict | None = None, *, keep: bool = False
    ) -> dict:
        """Hold the lock and write who holds it (with `extra`'s fields); returns the record the
        file held before (the last holder's). `keep`: hold it but leave the record as it is,
        to be written with `write` once the holder has read the last one and decided. Raises
        ActionBusy (held by someone else) or LockUnusable (unsafe, out of reach); nothing is
        written to a lock we do not hold."""
        if self._fd is not None:
            fd = self._fd
            raise ActionBusy(self._read(fd, os.fstat(fd)))
        directory = os.path.dirname(self.path)
        if not os.path.isdir(directory):
            # The shared directory readable by all (others are refused, with the path, not left
            # to take a lock of their own); anyone's own directory private.
            mode = 0o755 if directory == SHARED_DIR else 0o700
            try:
                os.makedirs(directory, mode=mode, exist_ok=True)
            except OSError as exc:
                raise LockUnusable(
                    f"cannot make the lock directory {directory}: {exc.strerror}"
                ) from None
        opened = self._open(create=True)
        assert opened is not None
        fd, st = opened
        deadline = time.monotonic() + ACQUIRE_RETRY
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.01)  # perhaps only a looker's probe
                    continue
                holder = self._read(fd, st)
                os.close(fd)
                raise ActionBusy(holder) from None
            except OSError as exc:
                os.close(fd)
                raise LockUnusable(f"cannot lock {self.path}: {exc.strerror}") from None
        previous = self._record(fd)
        self._fd = fd
        if not keep:
            self.write(
                {
                    **(extra or {}),
                    "operator": operator,
                    "action": action,
                    "since": time.time(),
                    "pid": os.getpid(),
                }
            )
        return previous

    def write(self, record: dict) -> None:
        """Replace the record (held only: a lock we do not hold is never truncated or written).
        A full disk costs the record, never the lock: the kernel still names the holder."""
        if self._fd is None:
            raise LockError(f"the action lock {self.path} is not held here")
        data = json.dumps(record).encode()
        with contextlib.suppress(OSError):
            os.pwrite(self._fd, data, 0)
            os.ftruncate(self._fd, len(data))

    def release(self, final: dict | None = None) -> None:
        """Give the lock back, leaving `final` as the record (else an empty file)."""
        if self._fd is None:
            return
        if final is not None:
            self.write(final)
        fd, self._fd = self._fd, None
        if final is None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
