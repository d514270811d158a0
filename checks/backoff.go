package checks

import "time"

// backoff is a capped exponential delay between retries of a failed call.
type backoff struct {
	min, max time.Duration
	cur      time.Duration
}

// next returns the delay before the next attempt and doubles it, up to max.
func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	}
	d := b.cur
	b.cur = min(b.cur*2, b.max)
	return d
}

// reset starts over after a success.
func (b *backoff) reset() { b.cur = 0 }
