package gossip

import (
	"maps"
	"testing"
)

func TestIntentCodec(t *testing.T) {
	name, boot, err := decodeIntent(encodeIntent("node-1", 99))
	if err != nil || name != "node-1" || boot != 99 {
		t.Fatalf("decodeIntent = %q %d %v", name, boot, err)
	}
	for _, bad := range [][]byte{nil, {msgLeaveIntent}, {7, 0, 0, 0, 0, 0, 0, 0, 1, 'a'}} {
		if _, _, err := decodeIntent(bad); err == nil {
			t.Fatalf("decodeIntent(%v) accepted garbage", bad)
		}
	}

	in := map[string]uint64{"a": 1, "bb": 1 << 63}
	out, err := decodeIntentState(encodeIntentState(in))
	if err != nil || !maps.Equal(in, out) {
		t.Fatalf("intent state round trip = %v %v, want %v", out, err, in)
	}
	if out, err := decodeIntentState(nil); err != nil || out != nil {
		t.Fatalf("empty state = %v %v", out, err)
	}
	for _, bad := range [][]byte{{9}, {intentStateVersion, 5, 'a'}, {intentStateVersion, 1, 'a', 0, 0}} {
		if _, err := decodeIntentState(bad); err == nil {
			t.Fatalf("decodeIntentState(%v) accepted garbage", bad)
		}
	}
}
