package gossip

import "time"

// pump is the Pool's delivery goroutine: it moves changes from the table
// to the Events channel, one at a time, and reaps old failed and left
// members. Blocking on a slow consumer happens here and nowhere else.
func (p *Pool) pump() {
	defer close(p.pumpDone)
	defer close(p.events)
	tick := time.NewTicker(reapInterval(p.cfg.FailedRetention, p.cfg.LeftRetention))
	defer tick.Stop()
	reap := func() {
		p.table.reap(time.Now(), p.cfg.FailedRetention, p.cfg.LeftRetention)
	}
	for {
		ev, ok := p.table.next()
		if !ok {
			select {
			case <-p.table.wake:
			case <-tick.C:
				reap()
			case <-p.done:
				return
			}
			continue
		}
		for sent := false; !sent; {
			select {
			case p.events <- ev:
				sent = true
			case <-tick.C:
				reap()
			case <-p.done:
				return
			}
		}
	}
}

// reapInterval checks often enough that a member is reaped within about a
// tenth of its retention, but at most once a minute and at least every
// 10 ms (tests use short retentions).
func reapInterval(failed, left time.Duration) time.Duration {
	return min(max(min(failed, left)/10, 10*time.Millisecond), time.Minute)
}
