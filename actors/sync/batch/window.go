package batch

import (
	"sync"
	"time"
)

// Window gathers items that arrive one by one into batches: a batch is
// flushed as soon as it holds Max items, or MaxWait after its first item
// came, whichever is first. Flush runs on its own goroutine for a timed
// flush and on Add's for a full one.
type Window[T any] struct {
	Max     int
	MaxWait time.Duration
	Flush   func([]T)

	mu    sync.Mutex
	items []T
	timer *time.Timer
	gen   int
}

// Add puts items in the window.
func (w *Window[T]) Add(items ...T) {
	for _, it := range items {
		w.mu.Lock()
		w.items = append(w.items, it)
		var full []T
		if w.Max > 0 && len(w.items) >= w.Max {
			full = w.take()
		} else if len(w.items) == 1 {
			gen := w.gen
			w.timer = time.AfterFunc(w.MaxWait, func() { w.expire(gen) })
		}
		w.mu.Unlock()
		if full != nil {
			w.Flush(full)
		}
	}
}

// expire flushes the batch that started generation gen, if it is still
// the one waiting.
func (w *Window[T]) expire(gen int) {
	w.mu.Lock()
	if gen != w.gen || len(w.items) == 0 {
		w.mu.Unlock()
		return
	}
	batch := w.take()
	w.mu.Unlock()
	w.Flush(batch)
}

// take empties the window; the caller holds mu.
func (w *Window[T]) take() []T {
	batch := w.items
	w.items = nil
	w.gen++
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	return batch
}

// Close flushes what the window holds now.
func (w *Window[T]) Close() {
	w.mu.Lock()
	batch := w.take()
	w.mu.Unlock()
	if len(batch) > 0 {
		w.Flush(batch)
	}
}
