package agent

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/httpapi"
)

// membership adapts the gossip pool to httpapi.Membership.
type membership struct{ a *Agent }

func (m membership) Members() []httpapi.Member {
	list := m.a.pool.Members()
	out := make([]httpapi.Member, 0, len(list))
	for _, mem := range list {
		out = append(out, httpapi.Member{
			Name: mem.Name, Addr: mem.Addr.String(), Port: mem.Port,
			Tags: memberTags(mem, m.a.cfg.Datacenter), Status: int(mem.Status),
		})
	}
	return out
}

func (m membership) Join(_ context.Context, addr string) error {
	if _, err := m.a.pool.Join([]string{addr}); err != nil {
		return fmt.Errorf("%w: %v", httpapi.ErrBadRequest, err)
	}
	return nil
}

func (m membership) Leave(ctx context.Context) error { return m.a.Leave(ctx) }
