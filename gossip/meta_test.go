package gossip

import (
	"errors"
	"strings"
	"testing"
)

// testMeta is a valid server Meta for the named node.
func testMeta(name string) Meta {
	return Meta{
		ID:       "id-" + name,
		Role:     RoleServer,
		RaftAddr: "127.0.0.1:8300",
		HTTPAddr: "127.0.0.1:8500",
		DNSAddr:  "127.0.0.1:8600",
		Version:  "test",
	}
}

func TestMetaRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		meta Meta
		boot uint64
	}{
		{"zero", Meta{}, 0},
		{"server", Meta{ID: "6f1c", Role: RoleServer, RaftAddr: "10.0.0.1:8300", HTTPAddr: "10.0.0.1:8500", DNSAddr: "10.0.0.1:8600", Version: "v0.1.0"}, 42},
		{"client", Meta{ID: "x", Role: RoleClient, HTTPAddr: "[::1]:8500"}, 1<<64 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := encodeMeta(tt.meta, tt.boot)
			got, boot, err := decodeMeta(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got != tt.meta || boot != tt.boot {
				t.Fatalf("round trip = %+v boot=%d, want %+v boot=%d", got, boot, tt.meta, tt.boot)
			}
		})
	}
}

func TestDecodeMeta(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    Meta
		wantErr bool
	}{
		{"empty is zero", nil, Meta{}, false},
		{"unknown tag skipped", []byte{metaVersion, 99, 2, 'z', 'z', tagID, 1, 'a'}, Meta{ID: "a"}, false},
		{"bad version", []byte{7, tagID, 1, 'a'}, Meta{}, true},
		{"truncated value", []byte{metaVersion, tagID, 5, 'a'}, Meta{}, true},
		{"truncated length", []byte{metaVersion, tagID}, Meta{}, true},
		{"huge length", []byte{metaVersion, tagID, 0xff, 0xff, 0xff, 0xff, 0x0f}, Meta{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := decodeMeta(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMetaValidate(t *testing.T) {
	big := strings.Repeat("x", MaxMetaSize)
	tests := []struct {
		name string
		meta Meta
		want error
	}{
		{"server", testMeta("n1"), nil},
		{"client without raft", Meta{Role: RoleClient}, nil},
		{"no role", Meta{ID: "a"}, ErrInvalidConfig},
		{"bad role", Meta{Role: "leader"}, ErrInvalidConfig},
		{"address without port", Meta{Role: RoleServer, RaftAddr: "10.0.0.1"}, ErrInvalidConfig},
		{"too large", Meta{Role: RoleServer, Version: big}, ErrMetaTooLarge},
		// The boot token counts: 1 version + 8 role + 3+n version + 10 boot.
		{"exactly at the limit", Meta{Role: RoleServer, Version: strings.Repeat("x", MaxMetaSize-22)}, nil},
		{"one byte over", Meta{Role: RoleServer, Version: strings.Repeat("x", MaxMetaSize-21)}, ErrMetaTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.meta.Validate()
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Validate() = %v, want %v", err, tt.want)
			}
		})
	}
}
