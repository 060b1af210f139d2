package stats

import "context"

// Hooks for this package's external tests.

// WithFlushHook has hook called after every round of the background loop
// (a flush, then any deletion of expired minutes) with the flush's error.
func (o Options) WithFlushHook(hook func(error)) Options {
	o.flushed = hook
	return o
}

// Expire runs one retention pass and returns how many buckets it deleted.
func (r *Recorder) Expire(ctx context.Context) (int, error) { return r.expire(ctx) }

// Pending is the number of minute buckets not yet flushed.
func (r *Recorder) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.live)
}

// Abandon stops the background loop without the flush Close makes, and
// drops later calls: what a killed process leaves behind. Close then
// does nothing.
func (r *Recorder) Abandon() { r.closeOnce.Do(r.stopLoop) }
