"""Per-camera picture memory beyond a byte budget goes to a private temporary file, not the heap.

A camera's learned baseline is ~69 KB per mode (three 54×96 float32 pictures and a cell grid) and its previous
signature ~15 KB: at 5,500 cameras with both modes learned that is ~850 MB, more than the unit's ``MemoryMax``.
So ``FrameChecks`` keeps only the most recently used cameras' baselines and signatures resident, up to
``vision.resident_mib``; the others wait, pickled, in a private SQLite database on disk (``sqlite3.connect("")``:
SQLite creates it in the temporary directory, nobody else can open it, and it is deleted when the poller closes
it). Reading one back is one indexed row; the file's pages are the kernel's page cache, reclaimable, not the
process's resident memory. The stored baselines in camfleet's own database stay the durable copy; this file is
a cache that dies with the process, so a database outage never blocks a picture check.

Every call runs in one dedicated thread (SQLite connections are not for concurrent use); pickling and
unpickling happen there too, off the event loop.
"""

from __future__ import annotations

import asyncio
import pickle
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class Spill:
    """``await put(key, obj)``, ``await take(key)`` (the object, removed from the file; None when absent)."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="camfleet-spill")
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self.keys: set[str] = set()
        self.bytes = 0  # what the file holds now (pickled sizes)
        self._sizes: dict[str, int] = {}

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
            # A cache that dies with the process: no journal, no fsync.
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            db.execute("PRAGMA cache_size=-2048")  # 2 MiB of SQLite's own page cache, not more
            db.execute("CREATE TABLE spill (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
            self._db = db
        return self._db

    def _put_many(self, items: list[tuple[str, Any]]) -> list[int]:
        sizes = []
        with self._lock:
            db = self._conn()
            db.execute("BEGIN")
            try:
                for key, obj in items:
                    data = pickle.dumps(obj, protocol=5)
                    db.execute("INSERT OR REPLACE INTO spill (key, data) VALUES (?, ?)", (key, data))
                    sizes.append(len(data))
            except BaseException:
                db.execute("ROLLBACK")  # else the next BEGIN fails; the caller sees the error
                raise
            db.execute("COMMIT")
        return sizes

    def _take(self, key: str) -> Any:
        with self._lock:
            db = self._conn()
            row = db.execute("SELECT data FROM spill WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            db.execute("DELETE FROM spill WHERE key = ?", (key,))
        return pickle.loads(row[0])

    async def put(self, key: str, obj: Any) -> None:
        await self.put_many([(key, obj)])

    async def put_many(self, items: list[tuple[str, Any]]) -> None:
        """``put`` of each item, in one trip to the spill's thread: a trip waits for the event loop's next pass to
        resume, and on a busy loop that pass takes tens of milliseconds."""
        sizes = await asyncio.get_running_loop().run_in_executor(self._executor, self._put_many, items)
        for (key, _obj), size in zip(items, sizes, strict=True):
            self.keys.add(key)
            self.bytes += size - self._sizes.get(key, 0)
            self._sizes[key] = size

    def _peek_many(self, keys: list[str]) -> dict[str, Any]:
        with self._lock:
            db = self._conn()
            found = {key: db.execute("SELECT data FROM spill WHERE key = ?", (key,)).fetchone() for key in keys}
        return {key: pickle.loads(row[0]) for key, row in found.items() if row is not None}

    async def peek_many(self, keys: list[str]) -> dict[str, Any]:
        """Copies of what the file holds for ``keys`` (those it holds), left in it: one trip."""
        wanted = [key for key in keys if key in self.keys]
        if not wanted:
            return {}
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._peek_many, wanted)

    async def take(self, key: str) -> Any:
        if key not in self.keys:
            return None
        self.keys.discard(key)
        self.bytes -= self._sizes.pop(key, 0)
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._take, key)

    def discard(self, key: str) -> None:
        """Forget ``key`` (its row is left for ``put`` to overwrite; it is never read again)."""
        self.keys.discard(key)
        self.bytes -= self._sizes.pop(key, 0)

    def close(self) -> None:
        """Delete the file (SQLite removes a temporary database when its connection closes)."""
        self._executor.shutdown(wait=True)
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
        self.keys.clear()
        self._sizes.clear()
        self.bytes = 0
