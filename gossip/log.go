package gossip

import (
	"bytes"
	"context"
	"log"
	"log/slog"
)

// newStdLogger returns a *log.Logger (what memberlist takes) whose output
// goes to l, at the level memberlist's "[DEBUG]"/"[INFO]"/"[WARN]"/"[ERR]"
// prefix says.
func newStdLogger(l *slog.Logger) *log.Logger {
	return log.New(slogWriter{l: l}, "", 0)
}

// slogWriter receives one whole line per Write (log.Logger guarantees it).
type slogWriter struct{ l *slog.Logger }

var levelPrefixes = []struct {
	prefix string
	level  slog.Level
}{
	{"[DEBUG]", slog.LevelDebug},
	{"[INFO]", slog.LevelInfo},
	{"[WARN]", slog.LevelWarn},
	{"[ERR]", slog.LevelError},
	{"[ERROR]", slog.LevelError},
	{"Err:", slog.LevelError}, // a few memberlist lines use this form
}

func (w slogWriter) Write(p []byte) (int, error) {
	level, msg := parseStdLine(p)
	if w.l.Enabled(context.Background(), level) {
		w.l.Log(context.Background(), level, msg, slog.String("src", "memberlist"))
	}
	return len(p), nil
}

// parseStdLine splits a memberlist log line into level and message, dropping
// the level tag and the redundant "memberlist: " prefix. Untagged lines are
// logged at Info.
func parseStdLine(p []byte) (slog.Level, string) {
	line := bytes.TrimSpace(p)
	level := slog.LevelInfo
	for _, lp := range levelPrefixes {
		if bytes.HasPrefix(line, []byte(lp.prefix)) {
			level = lp.level
			line = bytes.TrimSpace(line[len(lp.prefix):])
			break
		}
	}
	line = bytes.TrimPrefix(line, []byte("memberlist: "))
	return level, string(line)
}
