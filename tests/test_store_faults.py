"""The store under faults, on real files and disks: deleted, read-only, full, locked, unreachable.

Each fault gives a StoreError that says what happened and what to do, the store carries on once
the cause is gone, and every turn it acknowledged is still there.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from test_store import PG_URL, pg_schema_url

from interviewer.errors import StoreError
from interviewer.store import Store


def notice(text: str) -> list[dict]:
    return [{"kind": "notice", "text": text}]


def on_disk(path: Path) -> tuple[list[str], str]:
    """Read the user messages and the integrity verdict straight from the file, as a new process would."""
    conn = sqlite3.connect(path)
    try:
        messages = [t for (t,) in conn.execute("SELECT text FROM turns WHERE role = 'user' ORDER BY session_id, seq")]
        return messages, conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def fill(directory: Path) -> Path:
    """Fill a disk with one file; return it."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass
    try:
        while True:
            os.write(fd, b"\0")
    except OSError:
        pass
    os.close(fd)
    return filler


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "data" / "interviewer.db"


@pytest.fixture
def store(db_path):
    with Store.open(f"sqlite:///{db_path}", busy_timeout=0.2, retries=2, retry_delay=0.01) as s:
        yield s


def mount_tmpfs(where: Path, size: str) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}); these tests need root")
    return where


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs of its own, unmounted afterwards."""
    disk = mount_tmpfs(tmp_path / "disk", "2m")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], capture_output=True)


# ---------------------------------------------------------------------- deleted


@pytest.mark.parametrize("remove", ["the file", "the file and its -wal and -shm", "the whole folder"])
def test_a_deleted_database_is_put_back_with_every_turn(store, db_path, remove):
    record = store.create_session({}, {}, notice("hi"))
    for i in range(3):
        store.record_turn(record.id, f"before {i}", notice("ok"), {"i": i})
    if remove == "the file":
        db_path.unlink()
    elif remove == "the whole folder":
        shutil.rmtree(db_path.parent)
    else:
        for p in db_path.parent.iterdir():
            p.unlink()
    assert store.record_turn(record.id, "after", notice("ok"), {"i": 3}) == 9
    # A new process opening the path sees everything: nothing went to the deleted file alone.
    assert on_disk(db_path) == (["before 0", "before 1", "before 2", "after"], "ok")
    with Store.open(f"sqlite:///{db_path}") as fresh:
        assert fresh.session(record.id).state == {"i": 3}
        assert [t.seq for t in fresh.transcript(record.id)] == list(range(1, 10))


def test_a_database_deleted_between_reads_is_put_back_too(store, db_path):
    record = store.create_session({}, {}, notice("hi"))
    db_path.unlink()
    assert store.session_by_token(record.token) == record
    assert on_disk(db_path) == ([], "ok") and db_path.exists()


def test_deleting_the_database_again_and_again_under_busy_writers_loses_no_acknowledged_turn(store, db_path):
    records = [store.create_session({}, {}, []) for _ in range(4)]
    acked: dict[str, list[str]] = {r.id: [] for r in records}
    errors: list[str] = []

    def chat(session_id: str) -> None:
        for i in range(40):
            for _ in range(5):  # a client sends a refused message again
                try:
                    store.record_turn(session_id, f"{session_id}:{i}", notice("ok"), {"i": i})
                except StoreError as exc:
                    errors.append(str(exc))
                    continue
                acked[session_id].append(f"{session_id}:{i}")
                break

    threads = [threading.Thread(target=chat, args=(r.id,)) for r in records]
    for t in threads:
        t.start()
    deletions = 0
    while any(t.is_alive() for t in threads):
        if db_path.exists() and deletions < 40:
            db_path.unlink(missing_ok=True)
            deletions += 1
        threading.Event().wait(0.001)
    for t in threads:
        t.join()
    store.close()
    messages, integrity = on_disk(db_path)
    assert integrity == "ok" and deletions > 3
    for record in records:
        assert [m for m in messages if m.startswith(record.id + ":")] == acked[record.id]
        assert len(acked[record.id]) == 40, errors[:3]


def test_a_database_deleted_just_before_closing_is_put_back_on_close(db_path):
    store = Store.open(f"sqlite:///{db_path}")
    record = store.create_session({}, {}, notice("hi"))
    store.record_turn(record.id, "last words", notice("ok"), {})
    db_path.unlink()
    store.close()
    assert on_disk(db_path) == (["last words"], "ok")


def test_a_database_replaced_by_another_file_is_not_written_behind_its_back(store, db_path, tmp_path):
    record = store.create_session({}, {}, notice("hi"))
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    os.replace(other, db_path)
    with pytest.raises(StoreError, match="was replaced by another file .* restart interviewer"):
        store.record_turn(record.id, "hello", notice("ok"), {})


# ---------------------------------------------------------------------- read-only


def test_an_immutable_database_file_is_reported_and_writable_again_after(store, db_path):
    record = store.create_session({}, {}, notice("hi"))
    store.record_turn(record.id, "one", notice("ok"), {"n": 1})
    done = subprocess.run(["chattr", "+i", str(db_path)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"chattr +i does not work here ({done.stderr.strip()}); root on ext4/xfs/btrfs needed")
    try:
        with pytest.raises(StoreError, match=r"is read-only\. Nothing was saved; make it writable again"):
            store.record_turn(record.id, "two", notice("ok"), {"n": 2})
        # Reading still works: the history and the resume do not depend on writing.
        assert store.session_by_token(record.token).state == {"n": 1}
    finally:
        subprocess.run(["chattr", "-i", str(db_path)], check=True)
    assert store.record_turn(record.id, "two", notice("ok"), {"n": 2}) == 5
    assert on_disk(db_path) == (["one", "two"], "ok")


def test_health_says_when_the_database_file_cannot_be_written(store, db_path):
    assert store.health() is None
    done = subprocess.run(["chattr", "+i", str(db_path)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"chattr +i does not work here ({done.stderr.strip()}); root on ext4/xfs/btrfs needed")
    try:
        assert "is read-only" in store.health()
    finally:
        subprocess.run(["chattr", "-i", str(db_path)], check=True)
    assert store.health() is None


def test_health_says_when_postgresql_is_read_only():
    for url in pg_schema_url():
        with Store.open(url) as store:
            assert store.health() is None
        # The same database through sessions that may only read (as a hot standby would be).
        read_only = url.replace("options=-csearch_path", "options=-cdefault_transaction_read_only%3Don%20-csearch_path")
        with Store.open(read_only, retries=0) as store:
            assert store.health() is not None and "is read-only" in store.health()


class Relay:
    """A TCP relay to PostgreSQL that can be cut, as a network partition or a stopped server would be."""

    def __init__(self, target: tuple[str, int]):
        import socket

        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list = []
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket

        while self.open:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self) -> None:
        import socket

        self.open = False
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept(); a bare close() would not
        except OSError:
            pass
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def test_health_says_when_postgresql_cannot_be_reached():
    from sqlalchemy.engine import make_url

    for url in pg_schema_url():
        parsed = make_url(url)
        relay = Relay((parsed.host, parsed.port or 5432))
        try:
            with Store.open(parsed.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False),
                            connect_timeout=2) as store:
                assert store.health() is None
                relay.cut()
                assert "Cannot reach the database" in store.health()
        finally:
            relay.cut()


def test_a_database_on_a_read_only_disk_is_reported_and_opens_once_writable(tmp_path):
    # Linux refuses to remount a disk read-only while files on it are open for writing, so the
    # store is closed first; a disk the kernel forces read-only mid-run is the immutable case above.
    disk = mount_tmpfs(tmp_path / "disk", "4m")
    path = disk / "interviewer.db"
    try:
        with Store.open(f"sqlite:///{path}") as store:
            record = store.create_session({}, {}, notice("hi"))
            store.record_turn(record.id, "one", notice("ok"), {})
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        with pytest.raises(StoreError, match="is read-only"):
            Store.open(f"sqlite:///{path}", busy_timeout=0.2, retries=1, retry_delay=0.01)
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
        with Store.open(f"sqlite:///{path}") as store:
            assert store.record_turn(record.id, "two", notice("ok"), {}) == 5
        assert on_disk(path) == (["one", "two"], "ok")
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


# ---------------------------------------------------------------------- full


def test_a_full_disk_is_reported_and_the_store_carries_on_once_space_is_freed(small_disk):
    path = small_disk / "interviewer.db"
    with Store.open(f"sqlite:///{path}", busy_timeout=0.2, retries=1, retry_delay=0.01) as store:
        record = store.create_session({}, {}, notice("hi"))
        store.record_turn(record.id, "one", notice("ok"), {"n": 1})
        filler = fill(small_disk)
        answer = "a long answer about consensus and quorums " * 150
        with pytest.raises(StoreError, match=r"The disk holding the database .* is full\. Nothing was saved; free"):
            for _ in range(50):  # the WAL may have a little room left: keep writing until it is gone
                store.record_turn(record.id, answer, notice("ok"), {"n": 2, "big": "x" * 50_000})
        kept = store.session(record.id).turns
        assert [t.seq for t in store.transcript(record.id)] == list(range(1, kept + 1))  # no half-written turn
        filler.unlink()
        assert store.record_turn(record.id, "after", notice("ok"), {"n": 3}) == kept + 2
        assert store.session(record.id).state == {"n": 3}
    messages, integrity = on_disk(path)
    assert integrity == "ok" and messages[0] == "one" and messages[-1] == "after"


def test_a_full_disk_at_start_is_a_clear_error(small_disk):
    filler = fill(small_disk)
    with pytest.raises(StoreError, match="is full"):
        Store.open(f"sqlite:///{small_disk / 'interviewer.db'}", retries=0)
    filler.unlink()
    with Store.open(f"sqlite:///{small_disk / 'interviewer.db'}") as store:
        assert store.create_session({}, {}, []).turns == 0


# ---------------------------------------------------------------------- locked


def test_a_locked_database_is_retried_then_reported_and_works_once_released(store, db_path):
    record = store.create_session({}, {}, notice("hi"))
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match=r"is locked by another program \(still failing after 3 tries\)"):
            store.record_turn(record.id, "while locked", notice("ok"), {"n": 1})
        assert store.transcript(record.id)[-1].text == "hi"  # WAL readers are not blocked
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.record_turn(record.id, "while locked", notice("ok"), {"n": 1}) == 3
    assert on_disk(db_path) == (["while locked"], "ok")


def test_a_lock_released_within_the_retries_costs_nothing(store, db_path):
    record = store.create_session({}, {}, [])
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.3, lambda: (other.execute("ROLLBACK"), other.close()))
    release.start()
    try:
        assert store.record_turn(record.id, "patience", notice("ok"), {}) == 2
    finally:
        release.join()


# ---------------------------------------------------------------------- PostgreSQL


def test_an_unreachable_postgresql_is_a_clear_error():
    url = "postgresql+psycopg://postgres@127.0.0.1:9/x"
    expected = re.escape(f"Cannot reach the database at {url} (still failing after 2 tries)")
    with pytest.raises(StoreError, match=expected):
        Store.open(url, retries=1, retry_delay=0.01)


def test_a_dropped_postgresql_connection_is_retried_without_losing_the_turn():
    for url in pg_schema_url():
        with Store.open(url, retry_delay=0.01) as store:
            record = store.create_session({}, {}, notice("hi"))
            store.record_turn(record.id, "one", notice("ok"), {})
            name = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))["application_name"]
            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                           "WHERE application_name = :n"), {"n": name}).scalar()
            admin.dispose()
            assert killed >= 1
            assert store.record_turn(record.id, "two", notice("ok"), {}) == 5
            assert [t.text for t in store.transcript(record.id) if t.role == "user"] == ["one", "two"]


def lost_after_commit(store: Store) -> list[int]:
    """Make the next write lose its connection just after its COMMIT went through, as a network cut
    between the database's "COMMIT" and the client hearing of it would; return a call counter."""
    from sqlalchemy.exc import OperationalError

    check, calls = store._check, []

    def cut(*args, after_commit: bool = False, **kwargs):
        if after_commit and not calls:
            calls.append(1)
            raise OperationalError("COMMIT", {}, ConnectionResetError("server closed the connection unexpectedly"),
                                   connection_invalidated=True)
        return check(*args, after_commit=after_commit, **kwargs)

    store._check = cut
    return calls


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_turn_whose_commit_answer_was_lost_is_not_written_twice(backend, tmp_path):
    urls = iter([f"sqlite:///{tmp_path / 'interviewer.db'}"]) if backend == "sqlite" else pg_schema_url()
    for url in urls:
        with Store.open(url, retry_delay=0.01) as store:
            record = store.create_session({}, {}, notice("hi"))
            store.record_turn(record.id, "one", notice("ok"), {"turn": 1})
            cut = lost_after_commit(store)
            # The retry finds its own write in place and says so, rather than writing "two" again.
            assert store.record_turn(record.id, "two", notice("ok"), {"turn": 2}) == 5
            assert cut == [1]
            assert store.record_turn(record.id, "three", notice("ok"), {"turn": 3}) == 7
            assert [t.text for t in store.transcript(record.id) if t.role == "user"] == ["one", "two", "three"]
            assert store.session(record.id).state == {"turn": 3}
