package checks

import (
	"strings"
	"unicode/utf8"
)

// truncatedNote ends output that was cut to MaxOutputSize.
const truncatedNote = "\n... (output truncated)"

// clip returns s as valid UTF-8 of at most MaxOutputSize bytes. more says that
// s is already only the beginning of a longer output. Output that is cut keeps
// its beginning, ends on a rune boundary and is marked with truncatedNote.
//
// Invalid UTF-8 is replaced here rather than by the JSON encoding of the
// command, so the output a runner remembers as written is byte for byte the
// output the replicated state holds.
func clip(s string, more bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= MaxOutputSize && !more {
		return s
	}
	cut := min(len(s), MaxOutputSize-len(truncatedNote))
	for cut > 0 && cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + truncatedNote
}

// cappedBuffer is an io.Writer that keeps the first MaxOutputSize bytes
// written to it and drops the rest, never failing, so a chatty script is
// neither blocked nor killed by a full pipe.
type cappedBuffer struct {
	buf  []byte
	more bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	room := MaxOutputSize - len(b.buf)
	if len(p) > room {
		b.more = true
		b.buf = append(b.buf, p[:max(room, 0)]...)
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *cappedBuffer) String() string { return clip(string(b.buf), b.more) }
