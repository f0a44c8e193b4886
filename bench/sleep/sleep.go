// sleep.go: the Go peer of sleep.acc: N goroutines asleep at once in
// time.Sleep(time.Hour). Prints RSS growth per goroutine (from before the
// first is started to when all have started; started is counted just
// before each sleeps, plus a short pause for the last to park).
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	var size, res int64
	fmt.Sscan(string(b), &size, &res)
	return res * int64(os.Getpagesize())
}

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	var started sync.WaitGroup
	started.Add(n)
	r0 := rss()
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			time.Sleep(time.Hour)
		}()
	}
	started.Wait()
	time.Sleep(100 * time.Millisecond)
	r1 := rss()
	fmt.Printf("bytes_per_task %.1f\n", float64(r1-r0)/float64(n))
}
