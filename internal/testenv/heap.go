package testenv

import (
	"runtime"
	"time"
)

// PeakHeap samples the heap in use every interval, from now until the
// returned function is called, which returns the highest value seen.
func PeakHeap(interval time.Duration) (stop func() uint64) {
	var peak uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(interval):
			}
		}
	}()
	return func() uint64 { close(done); <-stopped; return peak }
}
