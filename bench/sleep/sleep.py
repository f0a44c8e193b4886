"""sleep.py: asyncio (uvloop with `uvloop` as 2nd argument) peer of
sleep.acc: N tasks asleep at once in asyncio.sleep(3600). Prints the RSS
growth per task. Exits without cancelling them (os._exit), to save time."""
import asyncio
import os
import sys


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def sleeper():
    await asyncio.sleep(3600)


async def main(n):
    r0 = rss()
    tasks = [asyncio.create_task(sleeper()) for _ in range(n)]
    await asyncio.sleep(0)  # every task has run up to its sleep
    r1 = rss()
    print(f"bytes_per_task {(r1 - r0) / n:.1f}", flush=True)
    os._exit(0)


n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
if len(sys.argv) > 2 and sys.argv[2] == "uvloop":
    import uvloop
    uvloop.install()
asyncio.run(main(n))
