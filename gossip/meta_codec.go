package gossip

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Wire format of Meta (what memberlist carries as Node.Meta):
//
//	version byte (metaVersion)
//	then fields: tag byte, uvarint length, length bytes
//
// Decoders skip unknown tags, so a newer agent may append fields without
// breaking older ones; a field's meaning never changes once released.
const metaVersion = 1

const (
	tagID byte = iota + 1
	tagRole
	tagRaftAddr
	tagHTTPAddr
	tagDNSAddr
	tagVersion
	tagLeaving // present, empty: the node is leaving gracefully
)

var errMetaFormat = errors.New("malformed node metadata")

// encodeMeta returns the wire form of m; leaving adds the leaving flag.
func encodeMeta(m Meta, leaving bool) []byte {
	buf := make([]byte, 0, 64)
	buf = append(buf, metaVersion)
	put := func(tag byte, v string) {
		if v == "" {
			return
		}
		buf = append(buf, tag)
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		buf = append(buf, v...)
	}
	put(tagID, m.ID)
	put(tagRole, string(m.Role))
	put(tagRaftAddr, m.RaftAddr)
	put(tagHTTPAddr, m.HTTPAddr)
	put(tagDNSAddr, m.DNSAddr)
	put(tagVersion, m.Version)
	if leaving {
		buf = append(buf, tagLeaving, 0)
	}
	return buf
}

// decodeMeta parses the wire form. It copies what it keeps, so b may be
// reused by the caller. Empty input decodes to the zero Meta.
func decodeMeta(b []byte) (m Meta, leaving bool, err error) {
	if len(b) == 0 {
		return Meta{}, false, nil
	}
	if b[0] != metaVersion {
		return Meta{}, false, fmt.Errorf("%w: version %d", errMetaFormat, b[0])
	}
	b = b[1:]
	for len(b) > 0 {
		tag := b[0]
		n, k := binary.Uvarint(b[1:])
		if k <= 0 || n > uint64(len(b)-1-k) {
			return Meta{}, false, fmt.Errorf("%w: field %d truncated", errMetaFormat, tag)
		}
		v := string(b[1+k : 1+k+int(n)])
		b = b[1+k+int(n):]
		switch tag {
		case tagID:
			m.ID = v
		case tagRole:
			m.Role = Role(v)
		case tagRaftAddr:
			m.RaftAddr = v
		case tagHTTPAddr:
			m.HTTPAddr = v
		case tagDNSAddr:
			m.DNSAddr = v
		case tagVersion:
			m.Version = v
		case tagLeaving:
			leaving = true
		}
	}
	return m, leaving, nil
}
