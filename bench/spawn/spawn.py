"""spawn.py: asyncio (or uvloop with `uvloop` as 3rd argument) peer of
spawn.acc: spawn N tasks that each yield once (asyncio.sleep(0)) and
complete. usage: spawn.py [N] [ROUNDS] [uvloop]; prints
`ns_per_task_cold X` (first round) and `ns_per_task_warm Y` (best of the
others)."""
import asyncio
import sys
import time

done = 0


async def child():
    global done
    await asyncio.sleep(0)
    done += 1


async def main(n, rounds):
    global done
    times = []
    for _ in range(rounds):
        done = 0
        t0 = time.perf_counter()
        tasks = [asyncio.create_task(child()) for _ in range(n)]
        while done < n:
            await asyncio.sleep(0)
        times.append(time.perf_counter() - t0)
        del tasks
    print(f"ns_per_task_cold {times[0] * 1e9 / n:.2f}")
    if rounds > 1:
        print(f"ns_per_task_warm {min(times[1:]) * 1e9 / n:.2f}")


n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
if len(sys.argv) > 3 and sys.argv[3] == "uvloop":
    import uvloop
    uvloop.install()
asyncio.run(main(n, rounds))
