package checks

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	long := strings.Repeat("x", MaxOutputSize+10)
	runes := strings.Repeat("é", MaxOutputSize) // 2 bytes each
	tests := []struct {
		name      string
		in        string
		more      bool
		truncated bool
	}{
		{"short", "hello", false, false},
		{"exactly max", strings.Repeat("y", MaxOutputSize), false, false},
		{"long", long, false, true},
		{"multibyte", runes, false, true},
		{"prefix of more", "head", true, true},
		{"invalid utf8", "a\xffb", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clip(tt.in, tt.more)
			if len(got) > MaxOutputSize {
				t.Fatalf("len %d > %d", len(got), MaxOutputSize)
			}
			if !utf8.ValidString(got) {
				t.Fatalf("invalid UTF-8: %q", got)
			}
			if strings.HasSuffix(got, truncatedNote) != tt.truncated {
				t.Fatalf("truncated mark = %v, want %v", !tt.truncated, tt.truncated)
			}
			if !tt.truncated && utf8.ValidString(tt.in) && got != tt.in {
				t.Fatalf("changed short output: %q", got)
			}
			if !strings.HasPrefix(tt.in, strings.TrimSuffix(got, truncatedNote)) && utf8.ValidString(tt.in) {
				t.Fatalf("kept text is not a prefix of the input")
			}
		})
	}
}

func TestCappedBuffer(t *testing.T) {
	var b cappedBuffer
	for range 3 {
		n, err := b.Write([]byte(strings.Repeat("z", MaxOutputSize/2+1)))
		if err != nil || n != MaxOutputSize/2+1 {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if len(b.buf) != MaxOutputSize || !b.more {
		t.Fatalf("kept %d bytes, more=%v", len(b.buf), b.more)
	}
	if s := b.String(); len(s) > MaxOutputSize || !strings.HasSuffix(s, truncatedNote) {
		t.Fatalf("String: %d bytes, suffix ok=%v", len(s), strings.HasSuffix(s, truncatedNote))
	}
}
