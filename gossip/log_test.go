package gossip

import (
	"log/slog"
	"testing"
)

func TestParseStdLine(t *testing.T) {
	tests := []struct {
		in    string
		level slog.Level
		msg   string
	}{
		{"[DEBUG] memberlist: Stream connection from=127.0.0.1:1\n", slog.LevelDebug, "Stream connection from=127.0.0.1:1"},
		{"[INFO] memberlist: Marking n3 as failed", slog.LevelInfo, "Marking n3 as failed"},
		{"[WARN] memberlist: Refuting a suspect message (from: n2)", slog.LevelWarn, "Refuting a suspect message (from: n2)"},
		{"[ERR] memberlist: Failed fallback TCP ping: refused", slog.LevelError, "Failed fallback TCP ping: refused"},
		{"[ERROR] memberlist: boom", slog.LevelError, "boom"},
		{"Err: Could not set the deadline: x", slog.LevelError, "Could not set the deadline: x"},
		{"untagged line", slog.LevelInfo, "untagged line"},
	}
	for _, tt := range tests {
		level, msg := parseStdLine([]byte(tt.in))
		if level != tt.level || msg != tt.msg {
			t.Errorf("parseStdLine(%q) = %v %q, want %v %q", tt.in, level, msg, tt.level, tt.msg)
		}
	}
}
