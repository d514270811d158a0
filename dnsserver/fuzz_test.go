package dnsserver

import (
	"testing"

	"github.com/miekg/dns"
)

// FuzzAnswer feeds arbitrary packets to the answer path as the server
// would: whatever unpacks is answered over UDP and TCP, and the reply must
// pack within the transport's limit and echo the question. `go test` runs
// only the seeds in testdata/fuzz/FuzzAnswer; fuzz with
// `go test ./dnsserver -run '^$' -fuzz FuzzAnswer -fuzztime 30s`.
func FuzzAnswer(f *testing.F) {
	c := fixture(f)
	bigService(f, c, 200, false)
	s := newTestServer(f, c.store)
	f.Fuzz(func(t *testing.T, packet []byte) {
		req := new(dns.Msg)
		if err := req.Unpack(packet); err != nil {
			return // miekg answers FORMERR or drops before the handler
		}
		for _, udp := range []bool{true, false} {
			resp := s.answer(req, udp)
			if req.Response {
				if resp != nil {
					t.Fatalf("answered a response: %v", resp)
				}
				return
			}
			if resp == nil {
				t.Fatalf("no reply to %v", req)
			}
			b, err := resp.Pack()
			if err != nil {
				t.Fatalf("reply does not pack: %v\n%v", err, resp)
			}
			if limit := replyLimit(s, req, udp); len(b) > limit {
				t.Fatalf("reply is %d bytes, limit %d", len(b), limit)
			}
			if len(req.Question) == 1 && (len(resp.Question) != 1 || resp.Question[0] != req.Question[0]) {
				t.Fatalf("question %v echoed as %v", req.Question, resp.Question)
			}
			if resp.Id != req.Id || !resp.Response {
				t.Fatalf("reply header %+v", resp.MsgHdr)
			}
		}
	})
}

// replyLimit is the largest reply the client can take, computed from the
// request independently of answer's own sizing.
func replyLimit(s *Server, req *dns.Msg, udp bool) int {
	if !udp {
		return dns.MaxMsgSize
	}
	if opt := req.IsEdns0(); opt != nil && opt.UDPSize() > dns.MinMsgSize {
		return min(int(opt.UDPSize()), s.cfg.UDPSize)
	}
	return dns.MinMsgSize
}
