// spawn.go: Go peer of spawn.acc: start N goroutines that each yield once
// (runtime.Gosched) and complete. Run with GOMAXPROCS=1 for the
// single-threaded comparison. usage: spawn [N] [ROUNDS]; prints cold (first
// round) and warm (best of the others) ns per task.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	rounds := 3
	if len(os.Args) > 2 {
		rounds, _ = strconv.Atoi(os.Args[2])
	}
	var cold, warm time.Duration
	for r := 0; r < rounds; r++ {
		var wg sync.WaitGroup
		wg.Add(n)
		t0 := time.Now()
		for i := 0; i < n; i++ {
			go func() {
				runtime.Gosched()
				wg.Done()
			}()
		}
		wg.Wait()
		el := time.Since(t0)
		if r == 0 {
			cold = el
		} else if r == 1 || el < warm {
			warm = el
		}
	}
	fmt.Printf("ns_per_task_cold %.2f\n", float64(cold.Nanoseconds())/float64(n))
	if rounds > 1 {
		fmt.Printf("ns_per_task_warm %.2f\n", float64(warm.Nanoseconds())/float64(n))
	}
}
