package checks

import "sync"

// mailbox holds the latest value put into it until its owner takes it. put
// never blocks, so a caller on the HTTP path is never held up by a runner
// that is busy probing or writing; an older value not yet taken is replaced,
// which is right for statuses where only the latest matters.
type mailbox[T any] struct {
	ready chan struct{} // has a token while a value waits

	mu   sync.Mutex
	val  T
	full bool
}

func newMailbox[T any]() *mailbox[T] {
	return &mailbox[T]{ready: make(chan struct{}, 1)}
}

// put stores v, replacing any value not yet taken.
func (b *mailbox[T]) put(v T) {
	b.mu.Lock()
	b.val, b.full = v, true
	b.mu.Unlock()
	b.signal()
}

// putIfEmpty stores v unless a value is waiting.
func (b *mailbox[T]) putIfEmpty(v T) {
	b.mu.Lock()
	if b.full {
		b.mu.Unlock()
		return
	}
	b.val, b.full = v, true
	b.mu.Unlock()
	b.signal()
}

func (b *mailbox[T]) signal() {
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// take returns the waiting value, if any, and empties the box. A nil
// mailbox is always empty.
func (b *mailbox[T]) take() (T, bool) {
	if b == nil {
		var zero T
		return zero, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.val, b.full
	var zero T
	b.val, b.full = zero, false
	return v, ok
}

// wait returns the channel that has a token while a value waits; nil for a
// nil mailbox, so a select on it never fires.
func (b *mailbox[T]) wait() <-chan struct{} {
	if b == nil {
		return nil
	}
	return b.ready
}
